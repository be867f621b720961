import ClickTracker
import ClickTrackerTestSupport
import Foundation
import Synchronization
import Testing

@testable import ClickTrackerPostgres

/// While the database is known to be down, no caller waits for it.
@Suite("PostgreSQL availability")
struct ServerAvailabilityTests {
    /// Counts calls, and holds probes until released.
    final class Calls: Sendable {
        let operations = Mutex(0)
        let probes = Mutex(0)
        let probeAnswer = Mutex<Bool?>(nil)

        func probe() async throws {
            probes.withLock { $0 += 1 }
            while true {
                if let answer = probeAnswer.withLock({ $0 }) {
                    guard answer else { throw StorageUnavailable(reason: "still down") }
                    return
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    @Test("Once a call finds the server down, later calls fail at once without reaching it; one background probe at a time finds it back")
    func failsFastWhileDown() async throws {
        let availability = ServerAvailability(timeout: .seconds(60), readTimeout: .seconds(60))
        let calls = Calls()
        let probe: @Sendable () async throws -> Void = { try await calls.probe() }
        let operation: @Sendable () async throws -> Int = {
            calls.operations.withLock { $0 += 1 }
            return 1
        }
        await #expect(throws: StorageUnavailable.self) {
            try await availability.run(.quick, probe: probe) { () async throws -> Int in throw StorageUnavailable(reason: "refused") }
        }
        #expect(availability.isDown)
        // Quick calls and reports alike: none reaches the server, none waits for the probe.
        for call in [ServerAvailability.Call.quick, .report, .quick, .report] {
            await #expect(throws: StorageUnavailable.self) { try await availability.run(call, probe: probe, operation) }
        }
        #expect(calls.operations.withLock { $0 } == 0)
        // Calls keep coming and failing at once; once the probe interval (a second) has passed,
        // one of them starts the probe in the background.
        for _ in 0..<1200 where calls.probes.withLock({ $0 }) == 0 {
            _ = try? await availability.run(.quick, probe: probe, operation)
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(calls.probes.withLock { $0 } == 1)
        for _ in 0..<5 {
            await #expect(throws: StorageUnavailable.self) { try await availability.run(.quick, probe: probe, operation) }
        }
        #expect(calls.probes.withLock { $0 } == 1)
        #expect(calls.operations.withLock { $0 } == 0)

        // The probe gets an answer: the next call goes through.
        calls.probeAnswer.withLock { $0 = true }
        #expect(try await waitUntil { !availability.isDown })
        #expect(try await availability.run(.quick, probe: probe, operation) == 1)
        #expect(calls.operations.withLock { $0 } == 1)
    }

    /// Polls `condition` every 20 ms, for at most a minute (a limit for hangs only).
    private func waitUntil(_ condition: @Sendable () -> Bool) async throws -> Bool {
        for _ in 0..<3000 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}
