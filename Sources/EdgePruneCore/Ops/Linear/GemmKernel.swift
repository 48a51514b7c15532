import CEdgeKernels

/// Y[M,N] = stage(A[M,K] x B[K,N] + bias), on the selected C GEMM kernel. B is packed once at
/// prepare when it is a constant, else packed into scratch at run. A is read in place, or
/// transposed into scratch first when transA is set.
final class GemmKernel: Kernel {
    let m: Int, n: Int, k: Int
    let config: UnsafePointer<ep_f32_gemm_config>
    /// Constant B, packed (nil when B is a run-time input).
    let packedB: Buffer?
    /// Run-time B: element (k, n) at b[k*rs + n*cs], scaled by alpha while packing.
    let bRowStride: Int, bColStride: Int
    let transA: Bool
    let alpha: Float
    let biasM: Buffer?, biasN: Buffer?
    /// beta*C added after the product when C is neither per-row nor per-column.
    let addC: (plan: BroadcastPlan, beta: Float)?
    var stage: OutputStage
    let aInput: Int, bInput: Int, cInput: Int
    /// Threads split the product over column panels (wide outputs) or row tiles (tall ones).
    let split: WorkSplit
    let splitColumns: Bool

    init(m: Int, n: Int, k: Int, packedB: Buffer?, bRowStride: Int, bColStride: Int, transA: Bool,
         alpha: Float, biasM: Buffer?, biasN: Buffer?, addC: (BroadcastPlan, Float)?, stage: OutputStage,
         inputs: (a: Int, b: Int, c: Int), pool: WorkerPool? = nil) {
        self.m = m; self.n = n; self.k = k
        self.config = ep_f32_gemm_get_config()
        (split, splitColumns) = GemmTask.split(pool: pool, config: config, m: m, n: n, k: k)
        self.packedB = packedB
        self.bRowStride = bRowStride; self.bColStride = bColStride
        self.transA = transA; self.alpha = alpha
        self.biasM = biasM; self.biasN = biasN
        self.addC = addC.map { (plan: $0.0, beta: $0.1) }
        self.stage = stage
        (aInput, bInput, cInput) = inputs
    }

    var kernelName: String { String(cString: config.pointee.name) + stage.suffix }

    static func scratchBytes(m: Int, n: Int, k: Int, packB: Bool, transA: Bool) -> Int {
        let nr = Int(ep_f32_gemm_get_config().pointee.nr)
        var bytes = 0
        if packB { bytes += Int(ep_f32_gemm_packed_b_size(k, n, nr)) * 4 }
        if transA { bytes += m * k * 4 }
        return (bytes + 63) & ~63
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        var a = inputs[aInput].assumingMemoryBound(to: Float.self)
        var cursor = scratch
        let b: UnsafePointer<Float>
        if let packedB {
            b = UnsafePointer(packedB.raw.assumingMemoryBound(to: Float.self))
        } else {
            let dst = cursor.assumingMemoryBound(to: Float.self)
            let nr = config.pointee.nr
            ep_f32_gemm_pack_b(k, n, nr, inputs[bInput].assumingMemoryBound(to: Float.self), bRowStride, bColStride, dst)
            if alpha != 1 {
                let total = Int(ep_f32_gemm_packed_b_size(k, n, nr))
                for i in 0..<total { dst[i] *= alpha }
            }
            b = UnsafePointer(dst)
            cursor += Int(ep_f32_gemm_packed_b_size(k, n, nr)) * 4
        }
        if transA {
            let t = cursor.assumingMemoryBound(to: Float.self)
            for i in 0..<m { for j in 0..<k { t[i * k + j] = a[j * m + i] } }
            a = UnsafePointer(t)
        }
        if let addC {
            // Product without clamp, then + beta*C, then the output stage.
            var none = ep_f32_minmax_params(min: -.infinity, max: .infinity)
            product(a, b, y, &none)
            let c = inputs[cInput].assumingMemoryBound(to: Float.self)
            let beta = addC.beta, plan = addC.plan
            plan.rowOffsetsB.withUnsafeBufferPointer { offB in
                for row in 0..<offB.count {
                    let rc = c + offB[row], ry = y + row * plan.inner
                    for i in 0..<plan.inner { ry[i] += beta * rc[i * plan.strideB] }
                }
            }
            let lo = stage.params.min, hi = stage.params.max
            if lo > -.infinity || hi < .infinity {
                for i in 0..<(m * n) { y[i] = min(max(y[i], lo), hi) }
            }
        } else {
            product(a, b, y, &stage.params)
        }
        if let post = stage.post { post.apply(y, y, m * n) }
    }
}

extension GemmKernel {
    /// y = a x b (+ biases, clamped), split over the pool's threads.
    @inline(__always)
    func product(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                 _ params: UnsafePointer<ep_f32_minmax_params>) {
        var task = GemmTask(config: config, m: m, n: n, k: k, a: a, lda: k, b: b, c: y, ldc: n,
                            biasM: biasM.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) },
                            biasN: biasN.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) },
                            params: params, tasks: 1, columns: splitColumns)
        task.run(split)
    }
}

extension Buffer {
    /// Packs a K x N matrix (element (k, n) at src[k*rs + n*cs]) for the selected GEMM kernel,
    /// scaled by `scale`.
    public static func packedGemmB(k: Int, n: Int, src: UnsafePointer<Float>, rs: Int, cs: Int, scale: Float = 1) -> Buffer {
        let cfg = ep_f32_gemm_get_config()!
        let count = Int(ep_f32_gemm_packed_b_size(k, n, cfg.pointee.nr))
        let buf = Buffer(uninitializedByteCount: count * 4)  // pack_b writes every float, padding included
        let dst = buf.raw.assumingMemoryBound(to: Float.self)
        ep_f32_gemm_pack_b(k, n, cfg.pointee.nr, src, rs, cs, dst)
        if scale != 1 { for i in 0..<count { dst[i] *= scale } }
        return buf
    }

    static func floats(_ values: [Float]) -> Buffer {
        let buf = Buffer(byteCount: values.count * 4)
        values.withUnsafeBytes { buf.raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return buf
    }
}
