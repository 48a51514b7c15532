#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A graph prepared for concrete input shapes: kernels in order, every pointer they read and
/// write fixed inside one arena allocated at load. `run()` does nothing else than call the
/// kernels: no allocation, no validation, no dictionary look-ups.
public final class ExecutionPlan: @unchecked Sendable {
    /// A graph input or output and where its data lives.
    public struct Binding: @unchecked Sendable {
        public let name: String
        public let type: TensorType
        public let pointer: UnsafeMutableRawPointer
    }

    /// One planned kernel, described for `inspect`.
    public struct StepInfo: Sendable {
        public let node: String
        public let opType: String
        public let kernel: String
        public let inputs: [TensorType?]
        public let outputs: [TensorType]
        public let macs: Int
        /// Elements and non-zero elements of the node's constant f32 inputs (weights, biases).
        public let parameters: Int
        public let nonzeros: Int
        public let scratchBytes: Int
    }

    public let inputs: [Binding]
    public let outputs: [Binding]
    public let steps: [StepInfo]
    public let arenaBytes: Int

    private let kernels: ContiguousArray<Kernel>
    private let pointerTable: UnsafeMutablePointer<UnsafeRawPointer>
    private let inputOffsets: [Int]
    private let outputOffsets: [Int]
    private let scratch: [UnsafeMutableRawPointer]
    /// Keeps the arena, constants and folded values alive for the pointers above.
    private let retained: [Buffer]

    init(inputs: [Binding], outputs: [Binding], steps: [StepInfo], kernels: [Kernel],
         pointers: [[UnsafeRawPointer]], outputPointers: [[UnsafeMutableRawPointer]],
         scratch: [UnsafeMutableRawPointer], arenaBytes: Int, retained: [Buffer]) {
        self.inputs = inputs
        self.outputs = outputs
        self.steps = steps
        self.kernels = ContiguousArray(kernels)
        self.arenaBytes = arenaBytes
        self.scratch = scratch
        self.retained = retained
        let total = pointers.reduce(0) { $0 + $1.count } + outputPointers.reduce(0) { $0 + $1.count }
        pointerTable = .allocate(capacity: max(total, 1))
        var cursor = 0
        var inOff: [Int] = [], outOff: [Int] = []
        for (ins, outs) in zip(pointers, outputPointers) {
            inOff.append(cursor)
            for p in ins { pointerTable[cursor] = p; cursor += 1 }
            outOff.append(cursor)
            for p in outs { pointerTable[cursor] = UnsafeRawPointer(p); cursor += 1 }
        }
        inputOffsets = inOff
        outputOffsets = outOff
    }

    deinit { pointerTable.deallocate() }

    /// Runs every kernel once. Inputs must already be written to `inputs[i].pointer`; results are
    /// read from `outputs[i].pointer`. Allocation-free.
    public func run() {
        let table = pointerTable
        table.withMemoryRebound(to: UnsafeMutableRawPointer.self, capacity: 1) { mutableTable in
            for i in 0..<kernels.count {
                kernels[i].run(inputs: UnsafePointer(table + inputOffsets[i]),
                               outputs: UnsafePointer(mutableTable + outputOffsets[i]),
                               scratch: scratch[i])
            }
        }
    }

    /// Like run(), also adding each kernel's elapsed nanoseconds (monotonic clock) to
    /// `nanoseconds[i]` (steps.count entries). For per-layer profiles; allocation-free too.
    public func run(accumulatingNanoseconds nanoseconds: UnsafeMutablePointer<UInt64>) {
        let table = pointerTable
        var ts = timespec()
        table.withMemoryRebound(to: UnsafeMutableRawPointer.self, capacity: 1) { mutableTable in
            for i in 0..<kernels.count {
                clock_gettime(CLOCK_MONOTONIC, &ts)
                let t0 = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
                kernels[i].run(inputs: UnsafePointer(table + inputOffsets[i]),
                               outputs: UnsafePointer(mutableTable + outputOffsets[i]),
                               scratch: scratch[i])
                clock_gettime(CLOCK_MONOTONIC, &ts)
                nanoseconds[i] &+= UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec) &- t0
            }
        }
    }

    public var totalMACs: Int { steps.reduce(0) { $0 + $1.macs } }

    /// Copies tensors into the input bindings (matched by position), runs, and copies outputs out.
    /// Allocates the returned tensors; use `run()` with the bindings for the allocation-free path.
    public func run(_ values: [Tensor]) throws -> [Tensor] {
        guard values.count == inputs.count else {
            throw EdgePruneError(.input, "the model takes \(inputs.count) input(s), got \(values.count)")
        }
        for (binding, value) in zip(inputs, values) {
            guard value.type == binding.type else {
                throw EdgePruneError(.input, "input '\(binding.name)' expects \(binding.type), got \(value.type)")
            }
            binding.pointer.copyMemory(from: value.raw, byteCount: value.byteCount)
        }
        run()
        return outputs.map { b in
            let t = Tensor(zeros: b.type)
            t.raw.copyMemory(from: b.pointer, byteCount: b.type.byteCount)
            return t
        }
    }
}
