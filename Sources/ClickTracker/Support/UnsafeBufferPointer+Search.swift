import Foundation

extension UnsafeBufferPointer<UInt8> {
    /// The offset of the first `byte` at or after `start`, found with `memchr` (not a loop in
    /// Swift); `nil` when there is none.
    func firstOffset(of byte: UInt8, from start: Int) -> Int? {
        guard let base = baseAddress, start < count, let found = memchr(base + start, Int32(byte), count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}
