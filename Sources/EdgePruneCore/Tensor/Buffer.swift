/// A block of bytes holding tensor data: either owned (64-byte aligned, freed on deinit) or
/// borrowed from a longer-lived owner such as a memory-mapped model file.
public final class Buffer: @unchecked Sendable {
    public static let alignment = 64

    public let raw: UnsafeMutableRawPointer
    public let byteCount: Int
    private let owner: AnyObject?
    private let owned: Bool

    /// Allocates zeroed, aligned storage.
    public init(byteCount: Int) {
        let n = max(byteCount, 1)
        raw = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: Buffer.alignment)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: n)
        self.byteCount = byteCount
        owner = nil
        owned = true
    }

    /// Allocates aligned storage without clearing it, for a caller that writes every byte before
    /// anything reads it (a weight packer, a masked weight copy): clearing megabytes that are
    /// overwritten at once only lengthens a level switch.
    public init(uninitializedByteCount byteCount: Int) {
        raw = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: Buffer.alignment)
        self.byteCount = byteCount
        owner = nil
        owned = true
    }

    /// Borrows memory kept alive by `owner` (for example an mmap region). Never written through.
    public init(borrowing pointer: UnsafeRawPointer, byteCount: Int, owner: AnyObject) {
        raw = UnsafeMutableRawPointer(mutating: pointer)
        self.byteCount = byteCount
        self.owner = owner
        owned = false
    }

    public var isBorrowed: Bool { !owned }

    deinit {
        if owned { raw.deallocate() }
    }
}
