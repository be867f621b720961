import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A durable, local, first-in-first-out log of view events that could not be written to the
/// store (the database was unreachable), replayed into the store in order when it returns.
///
/// A folder of segment files (`000000000001.spool`, …). Each ``append(_:)`` adds one record —
/// length, event count, SHA-256 prefix, JSON — and `fsync`s before returning, so an appended
/// batch survives a crash. A record torn by a crash at the end of the last segment (never
/// acknowledged) is cut off when the spool is opened. Replay is at least once: a crash between
/// the store's commit and ``remove(_:)`` replays the chunk again, which the store skips by render id.
/// One process at a time: the folder is locked while the spool is open.
public actor Spool {
    /// The spool cannot be used.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Events read from the head of the spool, to be recorded and then removed.
    public struct Chunk: Sendable {
        /// The events, oldest first.
        public let events: [ViewEvent]
        fileprivate let end: Position
    }

    fileprivate struct Position: Comparable {
        var segment: Int
        var offset: Int

        static func < (lhs: Position, rhs: Position) -> Bool {
            (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
        }
    }

    private static let headerSize = 16

    /// The spool's folder.
    public nonisolated let directory: String
    /// Segments grow to about this many bytes before a new one is started.
    private let segmentSize: Int
    private var lockDescriptor: Int32?
    /// Segment numbers on disk, oldest first.
    private var segments: [Int]
    /// The first record not yet removed.
    private var head: Position
    /// Where the next record goes (in the last segment), `nil` before the first append.
    private var appendDescriptor: Int32?
    private var appendOffset = 0
    /// Events appended and not yet removed.
    public private(set) var backlog: Int
    /// Events the store refused on replay, kept in ``rejectedFile``.
    public var rejected: Int { setAsideReasons.values.reduce(0, +) }
    /// How many set-aside events the store refused for each reason.
    private var setAsideReasons: [String: Int]
    private var cachedSegment: (number: Int, data: Data)?

    /// Opens (creating if needed) the spool in `directory`.
    /// - Parameters:
    ///   - directory: The spool's folder.
    ///   - segmentSize: Bytes after which a new segment file is started.
    /// - Throws: ``Failure`` if another process has the folder open, or a segment other than the
    ///   last is damaged.
    public init(directory: String, segmentSize: Int = 4 << 20) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lock = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw Failure(description: "cannot open the spool folder \(directory): \(Self.errorText())") }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            closeDescriptor(lock)
            throw Failure(description: "the spool folder \(directory) is in use by another ClickTracker process; give each instance its own")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let numbers = names.compactMap { name in name.hasSuffix(".spool") ? Int(name.dropLast(6)) : nil }.sorted()
        var backlog = 0
        do {
            for (index, number) in numbers.enumerated() {
                let path = Self.path(directory, number)
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                let (events, validLength) = Self.scan(data)
                if validLength < data.count {
                    guard index == numbers.count - 1 else {
                        throw Failure(description: "the spool segment \(path) is damaged at byte \(validLength)")
                    }
                    guard truncate(path, off_t(validLength)) == 0 else {
                        throw Failure(description: "cannot repair the spool segment \(path): \(Self.errorText())")
                    }
                }
                backlog += events
            }
        } catch {
            closeDescriptor(lock)
            throw error
        }
        self.directory = directory
        self.segmentSize = segmentSize
        self.lockDescriptor = lock
        self.segments = numbers
        self.head = Position(segment: numbers.first ?? 0, offset: 0)
        self.backlog = backlog
        do {
            self.setAsideReasons = Self.countReasons(try Self.readSetAside(Self.rejectedFile(in: directory)))
        } catch {
            closeDescriptor(lock)
            throw error
        }
    }

    deinit {
        if let appendDescriptor { closeDescriptor(appendDescriptor) }
        if let lockDescriptor { closeDescriptor(lockDescriptor) }
    }

    /// Closes the files and releases the folder for the next process; nothing may be appended after.
    public func close() {
        if let appendDescriptor { closeDescriptor(appendDescriptor) }
        appendDescriptor = nil
        if let lockDescriptor { closeDescriptor(lockDescriptor) }
        lockDescriptor = nil
    }

    /// `true` when every appended event has been removed.
    public var isEmpty: Bool { backlog == 0 }

    /// Appends a batch as one record and makes it durable.
    public func append(_ events: [ViewEvent]) throws {
        guard !events.isEmpty else { return }
        guard lockDescriptor != nil else { throw Failure(description: "the spool is closed") }
        let payload = try Self.encoder.encode(events)
        var record = Data(capacity: Self.headerSize + payload.count)
        Self.appendBigEndian(UInt32(payload.count), to: &record)
        Self.appendBigEndian(UInt32(events.count), to: &record)
        record.append(contentsOf: SHA256.hash(data: payload).prefix(8))
        record.append(payload)

        let descriptor = try appendTarget()
        do {
            var written = 0
            try record.withUnsafeBytes { bytes in
                while written < bytes.count {
                    let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(appendOffset + written))
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw Failure(description: "cannot write to the spool: \(Self.errorText())")
                    }
                    written += result
                }
            }
            guard fsync(descriptor) == 0 else {
                throw Failure(description: "cannot sync the spool: \(Self.errorText())")
            }
        } catch {
            // Nothing of a failed record may stay behind to be read as the start of the next one.
            _ = ftruncate(descriptor, off_t(appendOffset))
            throw error
        }
        appendOffset += record.count
        backlog += events.count
        if cachedSegment?.number == segments.last { cachedSegment?.data.append(record) }
    }

    /// The oldest spooled events, whole records only, up to `maximumEvents` (at least one
    /// record); `nil` when the spool is empty.
    public func peek(maximumEvents: Int) throws -> Chunk? {
        var events: [ViewEvent] = []
        var position = head
        while events.isEmpty || events.count < maximumEvents {
            guard let index = segments.firstIndex(of: position.segment) else { break }
            let data = try segmentData(position.segment)
            guard let (record, next) = Self.record(in: data, at: position.offset) else {
                guard position.offset == data.count else {
                    throw Failure(description: "the spool segment \(Self.path(directory, position.segment)) is damaged at byte \(position.offset)")
                }
                guard index + 1 < segments.count else { break }
                position = Position(segment: segments[index + 1], offset: 0)
                continue
            }
            if !events.isEmpty, events.count + record.count > maximumEvents { break }
            events += try Self.decoder.decode([ViewEvent].self, from: record.payload)
            position.offset = next
        }
        return events.isEmpty ? nil : Chunk(events: events, end: position)
    }

    /// The file of events the store refused on replay (one ``SetAsideEvent`` as JSON a line),
    /// kept until ``requeueSetAside()`` puts them back.
    public nonisolated var rejectedFile: String { Self.rejectedFile(in: directory) }

    /// The set-aside events, counted by the store's reason, most frequent first.
    public var setAsideSummary: [(reason: String, count: Int)] {
        setAsideReasons.map { (reason: $0.key, count: $0.value) }.sorted { ($0.count, $1.reason) > ($1.count, $0.reason) }
    }

    /// Keeps events the store refused (not merely could not reach) in ``rejectedFile``, durably.
    public func setAside(_ entries: [SetAsideEvent]) throws {
        guard !entries.isEmpty else { return }
        var lines = Data()
        for entry in entries {
            lines.append(try Self.encoder.encode(entry))
            lines.append(UInt8(ascii: "\n"))
        }
        let descriptor = open(rejectedFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(rejectedFile): \(Self.errorText())") }
        defer { closeDescriptor(descriptor) }
        let written = lines.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
        guard written == lines.count, fsync(descriptor) == 0 else {
            throw Failure(description: "cannot write \(rejectedFile): \(Self.errorText())")
        }
        for entry in entries { setAsideReasons[entry.reason, default: 0] += 1 }
    }

    /// Puts every set-aside event back at the end of the spool, to be replayed like any other,
    /// and empties ``rejectedFile``; events the store refuses again are set aside again.
    ///
    /// The events are appended durably before the file is removed: a crash in between keeps
    /// them in both places, and the store records a render only once.
    /// - Returns: How many events were put back.
    @discardableResult
    public func requeueSetAside() throws -> Int {
        let entries = try Self.readSetAside(rejectedFile)
        guard !entries.isEmpty else { return 0 }
        try append(entries.map(\.event))
        guard unlink(rejectedFile) == 0 || errno == ENOENT else {
            throw Failure(description: "cannot remove \(rejectedFile) after putting its reads back: \(Self.errorText())")
        }
        setAsideReasons = [:]
        return entries.count
    }

    private static func rejectedFile(in directory: String) -> String { directory + "/rejected.jsonl" }

    /// The entries of a set-aside file; lines written before reasons were kept are plain events.
    private static func readSetAside(_ path: String) throws -> [SetAsideEvent] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Failure(description: "cannot read \(path): \(error.localizedDescription)")
        }
        var entries: [SetAsideEvent] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            if let entry = try? decoder.decode(SetAsideEvent.self, from: line) {
                entries.append(entry)
            } else if let event = try? decoder.decode(ViewEvent.self, from: line) {
                entries.append(SetAsideEvent(event: event, reason: "refused before ClickTracker kept reasons", at: nil))
            } else {
                throw Failure(description: "\(path) is damaged at line \(number + 1); no read in it was changed")
            }
        }
        return entries
    }

    private static func countReasons(_ entries: [SetAsideEvent]) -> [String: Int] {
        entries.reduce(into: [:]) { $0[$1.reason, default: 0] += 1 }
    }

    /// Removes a chunk returned by ``peek(maximumEvents:)`` once the store has committed it;
    /// deletes segments that are used up.
    public func remove(_ chunk: Chunk) throws {
        guard head < chunk.end else { return }
        head = chunk.end
        backlog -= chunk.events.count
        while let first = segments.first, first < head.segment || (backlog == 0 && first == head.segment) {
            if first == segments.last, let appendDescriptor {
                closeDescriptor(appendDescriptor)
                self.appendDescriptor = nil
            }
            unlink(Self.path(directory, first))
            segments.removeFirst()
            if cachedSegment?.number == first { cachedSegment = nil }
        }
        if segments.isEmpty { head = Position(segment: 0, offset: 0) }
    }

    /// The descriptor of the segment to append to: the open one, the last one on disk after a
    /// restart, or a new one once the current one is full.
    private func appendTarget() throws -> Int32 {
        if let appendDescriptor {
            if appendOffset < segmentSize { return appendDescriptor }
            closeDescriptor(appendDescriptor)
            self.appendDescriptor = nil
        } else if let last = segments.last, Self.fileSize(Self.path(directory, last)) < segmentSize {
            let descriptor = try openSegment(last)
            appendOffset = Self.fileSize(Self.path(directory, last))
            return descriptor
        }
        let number = (segments.last ?? 0) + 1
        let descriptor = try openSegment(number)
        segments.append(number)
        if segments.count == 1 { head = Position(segment: number, offset: 0) }
        let folder = open(directory, O_RDONLY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            closeDescriptor(folder)
        }
        appendOffset = 0
        return descriptor
    }

    private func openSegment(_ number: Int) throws -> Int32 {
        let path = Self.path(directory, number)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open the spool segment \(path): \(Self.errorText())") }
        appendDescriptor = descriptor
        return descriptor
    }

    /// A segment's bytes. The segment last read is kept, and records appended to it are added
    /// to the copy, so it always matches the file.
    private func segmentData(_ number: Int) throws -> Data {
        if let cachedSegment, cachedSegment.number == number {
            return cachedSegment.data
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.path(directory, number)))
        cachedSegment = (number, data)
        return data
    }

    /// The record at `offset`, if whole and intact, and the offset after it.
    private static func record(in data: Data, at offset: Int) -> ((count: Int, payload: Data), Int)? {
        guard data.count - offset >= headerSize else { return nil }
        let start = data.startIndex + offset
        let length = Int(readBigEndian(data, start))
        let count = Int(readBigEndian(data, start + 4))
        guard length <= data.count - offset - headerSize else { return nil }
        let payload = data[(start + headerSize)..<(start + headerSize + length)]
        guard SHA256.hash(data: payload).prefix(8).elementsEqual(data[(start + 8)..<(start + 16)]) else { return nil }
        return ((count, Data(payload)), offset + headerSize + length)
    }

    /// Counts the events of the intact records at the start of `data` and where they end.
    private static func scan(_ data: Data) -> (events: Int, validLength: Int) {
        var offset = 0
        var events = 0
        while let (record, next) = record(in: data, at: offset) {
            events += record.count
            offset = next
        }
        return (events, offset)
    }

    private static func path(_ directory: String, _ number: Int) -> String {
        let digits = String(number)
        return "\(directory)/\(String(repeating: "0", count: max(0, 12 - digits.count)))\(digits).spool"
    }

    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    private static func appendBigEndian(_ value: UInt32, to data: inout Data) {
        withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) }
    }

    private static func readBigEndian(_ data: Data, _ index: Data.Index) -> UInt32 {
        data[index..<(index + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }
}

/// `close(2)`, under a name the spool's own `close()` does not hide.
private func closeDescriptor(_ descriptor: Int32) {
    close(descriptor)
}
