import Synchronization

/// A store's tracked sections and paths never tracked, kept in memory while the store watches
/// for changes, so a tracked page does not read them from the database.
///
/// A store calls ``changed()`` after each change it commits itself and whenever its watch says
/// another instance may have changed them (SQLite: `PRAGMA data_version`; PostgreSQL:
/// `LISTEN`). Until ``startWatching()`` and after ``stopWatching()`` nothing is kept and every
/// call reads through, so a store whose watch is down is never answered from a stale copy. With
/// a ``maximumAge``, a value is also read again once it is that old, which bounds how long a
/// change the watch missed goes unseen (a notification that never came).
public final class TrackingRulesCache: Sendable {
    fileprivate struct Kept<Value> {
        var generation: UInt64
        var value: Value
        var readAt: ContinuousClock.Instant
    }

    fileprivate struct State {
        var isWatching = false
        var generation: UInt64 = 0
        var sections: Kept<[TrackedSection]>?
        var ignoredPaths: Kept<[SectionPath]>?
    }

    private let state = Mutex(State())
    /// How long a value is kept at most, whatever the watch says; `nil` for as long as it is current.
    public let maximumAge: Duration?

    /// Creates an empty cache that reads through until the store starts watching.
    /// - Parameter maximumAge: How long a value is kept at most (`nil`: until the next change).
    public init(maximumAge: Duration? = nil) {
        self.maximumAge = maximumAge
    }

    /// The watch is running: from now on values read are kept until the next change.
    public func startWatching() {
        state.withLock { state in
            state.isWatching = true
            state.generation &+= 1
        }
    }

    /// The watch stopped (its connection was lost, the store is closing): nothing is kept.
    public func stopWatching() {
        state.withLock { state in
            state.isWatching = false
            state.generation &+= 1
            state.sections = nil
            state.ignoredPaths = nil
        }
    }

    /// The sections or the paths never tracked may have changed: the next call reads them again.
    public func changed() {
        state.withLock { $0.generation &+= 1 }
    }

    /// The tracked sections, kept or read with `read`.
    public func sections(read: () async throws -> [TrackedSection]) async throws -> [TrackedSection] {
        let now = ContinuousClock.now
        let (generation, kept) = state.withLock { state in (state.generation, state.kept(state.sections, now: now, maximumAge: maximumAge)) }
        if let kept { return kept }
        let sections = try await read()
        state.withLock { state in
            if state.keeps(generation) { state.sections = Kept(generation: generation, value: sections, readAt: now) }
        }
        return sections
    }

    /// The paths never tracked, kept or read with `read`.
    public func ignoredPaths(read: () async throws -> [SectionPath]) async throws -> [SectionPath] {
        let now = ContinuousClock.now
        let (generation, kept) = state.withLock { state in
            (state.generation, state.kept(state.ignoredPaths, now: now, maximumAge: maximumAge))
        }
        if let kept { return kept }
        let paths = try await read()
        state.withLock { state in
            if state.keeps(generation) { state.ignoredPaths = Kept(generation: generation, value: paths, readAt: now) }
        }
        return paths
    }
}

extension TrackingRulesCache.State {
    /// The value kept, if it is still current (and not older than `maximumAge`).
    fileprivate func kept<Value>(_ slot: TrackingRulesCache.Kept<Value>?, now: ContinuousClock.Instant, maximumAge: Duration?) -> Value? {
        guard isWatching, let slot, slot.generation == generation else { return nil }
        if let maximumAge, slot.readAt.duration(to: now) >= maximumAge { return nil }
        return slot.value
    }

    /// Whether a value read at `generation` may be kept: nothing changed while it was read.
    fileprivate func keeps(_ generation: UInt64) -> Bool {
        isWatching && self.generation == generation
    }
}
