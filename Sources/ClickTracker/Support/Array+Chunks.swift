extension Array {
    /// The array cut into consecutive slices of at most `size` elements (statements and
    /// transactions of bounded size).
    public func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
