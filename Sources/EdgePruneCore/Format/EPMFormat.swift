/// The native model format, `.epm`. Little-endian throughout.
///
///     offset  size  field
///     0       8     magic "EDGEPRUN"
///     8       2     major version (readers reject other majors)
///     10      2     minor version (new optional content; readers accept any minor)
///     12      4     flags (0)
///     16      4     section count
///     20      4     CRC-32 of the section table
///     24      8     section table offset (64)
///     32      8     file size
///     40      24    reserved (0)
///     64      32*n  section table: kind u32, flags u32, offset u64, length u64, CRC-32 u32, reserved u32
///
/// Sections: `graph` (kind 1: opset, metadata, inputs, outputs, tensor directory, nodes, see
/// EPMWriter), `data` (kind 2: tensor bytes, each tensor at a 64-byte aligned file offset so
/// it is used in place from the memory map) and, for pruned models, `ladder` (kind 3, optional:
/// the nested sparsity ladder, see EPMLadderCodec) and, when recovery re-fitted levels, `level
/// weights` (kind 4, required when present: EPMLevelWeightsCodec). Section flag bit 0 marks a section a reader may skip
/// if it does not know its kind: later versions add sparse encodings, quantisation parameters and
/// the sparsity ladder that way. Each tensor entry carries an encoding code for the same reason:
/// 0 = dense (raw little-endian elements); 1 = csr, an f32 weight of rank >= 2 with at least half
/// zeros stored as a "csr" Linear-format blob (the C library's layout: header, row pointers, u16
/// column indices, values) of shape[0] rows x (product of the rest) columns. Readers check a csr
/// blob with the format's validate() and load it dense.
public enum EPMFormat {
    public static let magic: [UInt8] = Array("EDGEPRUN".utf8)
    public static let majorVersion: UInt16 = 1
    public static let minorVersion: UInt16 = 4  // 1: csr tensor encoding; 2: ladder section; 3: level-weights section;
    // 4: int8 post-training quantisation as node attributes ep_q_* (Int8LinearParams). A reader of an
    // older minor loads such a file and runs those layers in f32 (the f32 weights are all there).
    public static let headerSize = 64
    public static let sectionEntrySize = 32
    public static let dataAlignment = 64

    public enum SectionKind: UInt32 {
        case graph = 1
        case data = 2
        case ladder = 3  // optional: the nested sparsity ladder (EPMLadderCodec)
        case levelWeights = 4  // required when present: recovered weights per ladder level (EPMLevelWeightsCodec)
    }

    public static let sectionOptional: UInt32 = 1

    public enum TensorEncoding: UInt32 {
        case dense = 0
        case csr = 1
    }

    /// Zero fraction from which writers store an f32 weight as csr (6 bytes per non-zero against
    /// 4 per weight: smaller from a third zeros; half keeps a margin for the row pointers).
    public static let csrMinimumZeroFraction = 0.5

    // Attribute kinds in the graph section.
    static let attrInt: UInt8 = 1, attrFloat: UInt8 = 2, attrString: UInt8 = 3, attrInts: UInt8 = 4,
        attrFloats: UInt8 = 5, attrStrings: UInt8 = 6, attrTensor: UInt8 = 7
}
