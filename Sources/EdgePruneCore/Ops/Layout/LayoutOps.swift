/// Data-movement ops. These work for every element type by element size; shape-defining inputs
/// (shape, axes, pads, starts/ends, split sizes, repeats) must be constants.
enum LayoutOps {
    static let preparers: [String: OpPreparer] = [
        "Reshape": ReshapeOps.reshape,
        "Flatten": ReshapeOps.flatten,
        "Squeeze": ReshapeOps.squeeze,
        "Unsqueeze": ReshapeOps.unsqueeze,
        "Identity": ReshapeOps.identity,
        "Dropout": ReshapeOps.dropout,
        "Transpose": TransposeOp.prepare,
        "Concat": ConcatOp.prepare,
        "Split": SplitOp.prepare,
        "Slice": SliceOp.prepare,
        "Gather": GatherOp.prepare,
        "Pad": PadOp.prepare,
        "Tile": TileExpandOps.tile,
        "Expand": TileExpandOps.expand,
        "Shape": ShapeOps.shape,
        "Size": ShapeOps.size,
        "Constant": ShapeOps.constant,
        "ConstantOfShape": ShapeOps.constantOfShape,
    ]
}
