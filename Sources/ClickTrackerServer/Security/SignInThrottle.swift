import Synchronization

/// Slows password guessing down. After five failed sign-ins in a row for one account (or
/// twenty from one address, which may be a whole office), attempts for it are refused without
/// looking at the password for a wait that doubles with each further failure: 15 s, 30 s,
/// 1 minute … up to 15 minutes. A successful sign-in clears its account's count; counts are forgotten a
/// day after their last failure. Kept in memory by each instance.
final class SignInThrottle: Sendable {
    /// What is being counted.
    enum Key: Hashable, Sendable, CustomStringConvertible {
        case account(String)
        case address(String)

        var description: String {
            switch self {
            case .account(let name): "account \(name)"
            case .address(let address): "address \(address)"
            }
        }
    }

    /// A key that has just started (or continued) to be held back after a failure.
    struct HeldBack: Sendable, Equatable {
        let key: Key
        let failures: Int
        let wait: Duration
    }

    private struct Record {
        var failures = 0
        var lastFailure: ContinuousClock.Instant
        var heldUntil: ContinuousClock.Instant?
    }

    private let records = Mutex<[Key: Record]>([:])
    private static let firstWait = Duration.seconds(15)
    private static let maximumWait = Duration.seconds(15 * 60)
    private static let forgetAfter = Duration.seconds(24 * 3600)

    /// Failures in a row before a key is held back.
    static func allowedFailures(_ key: Key) -> Int {
        switch key {
        case .account: 5
        case .address: 20
        }
    }

    /// How long the caller must still wait before trying to sign in to `account` from
    /// `address`; `nil` when it may try now.
    func wait(account: String, address: String, now: ContinuousClock.Instant = .now) -> Duration? {
        records.withLock { records in
            [Key.account(account), .address(address)].compactMap { key -> Duration? in
                guard let until = records[key]?.heldUntil, now < until else { return nil }
                return now.duration(to: until)
            }.max()
        }
    }

    /// Counts a failed sign-in; returns the keys now held back, with their wait.
    func failed(account: String, address: String, now: ContinuousClock.Instant = .now) -> [HeldBack] {
        records.withLock { records in
            if records.count > 50_000 {
                records = records.filter { $0.value.lastFailure.duration(to: now) < Self.forgetAfter }
            }
            return [Key.account(account), .address(address)].compactMap { key -> HeldBack? in
                var record = records[key] ?? Record(lastFailure: now)
                if record.lastFailure.duration(to: now) >= Self.forgetAfter { record = Record(lastFailure: now) }
                record.failures += 1
                record.lastFailure = now
                let beyond = record.failures - Self.allowedFailures(key)
                var held: HeldBack?
                if beyond >= 0 {
                    let wait = beyond >= 6 ? Self.maximumWait : min(Self.maximumWait, Self.firstWait * (1 << beyond))
                    record.heldUntil = now + wait
                    held = HeldBack(key: key, failures: record.failures, wait: wait)
                }
                records[key] = record
                return held
            }
        }
    }

    /// Clears the account's count after a successful sign-in. The address's count stays: one
    /// good password of their own must not let someone go on guessing others'.
    func succeeded(account: String) {
        records.withLock { records in records[.account(account)] = nil }
    }
}
