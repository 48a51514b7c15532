/// Reductions, softmax, pooling (f32; ReduceSum/ReduceMax also take int32/int64).
enum ReductionOps {
    static let preparers: [String: OpPreparer] = [
        "Softmax": SoftmaxOps.prepare,
        "LogSoftmax": SoftmaxOps.prepare,
        "ReduceMean": ReduceOps.prepare,
        "ReduceSum": ReduceOps.prepare,
        "ReduceMax": ReduceOps.prepare,
        "ArgMax": ArgMaxOp.prepare,
        "MaxPool": PoolOps.prepare,
        "AveragePool": PoolOps.prepare,
        "GlobalAveragePool": GlobalPoolOps.prepare,
        "GlobalMaxPool": GlobalPoolOps.prepare,
    ]
}
