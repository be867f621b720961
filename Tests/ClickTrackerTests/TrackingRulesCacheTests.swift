import ClickTracker
import Synchronization
import Testing

@Suite("Tracking rules kept in memory")
struct TrackingRulesCacheTests {
    /// A store's reads, counted.
    final class Reads: Sendable {
        let count = Mutex(0)
        let sections = Mutex([TrackedSection]())

        func read() -> [TrackedSection] {
            count.withLock { $0 += 1 }
            return sections.withLock { $0 }
        }
    }

    @Test("Without a running watch every call reads; with one, a read is kept until the next change")
    func keptWhileWatching() async throws {
        let cache = TrackingRulesCache()
        let reads = Reads()
        let papers = TrackedSection(path: try SectionPath("/papers"))
        _ = try await cache.sections { reads.read() }
        _ = try await cache.sections { reads.read() }
        #expect(reads.count.withLock { $0 } == 2)

        cache.startWatching()
        _ = try await cache.sections { reads.read() }
        _ = try await cache.sections { reads.read() }
        _ = try await cache.sections { reads.read() }
        #expect(reads.count.withLock { $0 } == 3)

        reads.sections.withLock { $0 = [papers] }
        cache.changed()
        #expect(try await cache.sections { reads.read() } == [papers])
        #expect(try await cache.sections { reads.read() } == [papers])
        #expect(reads.count.withLock { $0 } == 4)

        // The paths never tracked are kept on their own, and dropped by the same changes.
        let search = try SectionPath("/papers/search")
        #expect(try await cache.ignoredPaths { [search] } == [search])
        #expect(try await cache.ignoredPaths { [] } == [search])
        cache.changed()
        #expect(try await cache.ignoredPaths { [] } == [])

        cache.stopWatching()
        _ = try await cache.sections { reads.read() }
        _ = try await cache.sections { reads.read() }
        #expect(reads.count.withLock { $0 } == 6)
    }

    @Test("With a maximum age, a kept value is read again once it is that old, even without a change")
    func maximumAge() async throws {
        let cache = TrackingRulesCache(maximumAge: .milliseconds(50))
        let reads = Reads()
        cache.startWatching()
        _ = try await cache.sections { reads.read() }
        try await Task.sleep(for: .milliseconds(100))
        _ = try await cache.sections { reads.read() }
        #expect(reads.count.withLock { $0 } == 2)
    }

    @Test("A change while a read is under way is not hidden by that read's older answer")
    func changeDuringRead() async throws {
        let cache = TrackingRulesCache()
        cache.startWatching()
        let papers = TrackedSection(path: try SectionPath("/papers"))
        let old = try await cache.sections {
            cache.changed()  // committed elsewhere while this read was on its way
            return []
        }
        #expect(old == [])
        #expect(try await cache.sections { [papers] } == [papers])
        #expect(try await cache.sections { [] } == [papers])
    }

    @Test("A read that fails keeps nothing and the next call reads again")
    func failedRead() async throws {
        struct Unreachable: Error {}
        let cache = TrackingRulesCache()
        cache.startWatching()
        await #expect(throws: Unreachable.self) { try await cache.sections { throw Unreachable() } }
        #expect(try await cache.sections { [] } == [])
    }
}
