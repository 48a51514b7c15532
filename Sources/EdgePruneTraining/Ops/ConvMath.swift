/// Conv attributes in 2-D form: a 1-D Conv is a 2-D one with height 1.
struct ConvAttributes {
    var spatial: Int          // 1 or 2
    var strides: [Int]        // [sh, sw]
    var pads: [Int]           // [top, left, bottom, right]
    var dilations: [Int]      // [dh, dw]
    var group: Int
    var autoPad: String       // NOTSET, VALID, SAME_UPPER, SAME_LOWER

    /// Output size and leading pad of one spatial axis.
    func axis(_ i: Int, input: Int, kernel: Int) -> (out: Int, padBegin: Int, padEnd: Int) {
        windowAxis(input: input, kernel: kernel, stride: strides[i], dilation: dilations[i], padBegin: pads[i],
                   padEnd: pads[i + 2], autoPad: autoPad, ceilMode: false)
    }
}

/// Output size and leading pad of one spatial axis of a sliding window (Conv and pools), by the
/// ONNX rules; with ceil_mode the last window must start inside the input or its leading pad.
func windowAxis(input: Int, kernel: Int, stride s: Int, dilation: Int, padBegin: Int, padEnd: Int, autoPad: String,
                ceilMode: Bool) -> (out: Int, padBegin: Int, padEnd: Int) {
    let ek = (kernel - 1) * dilation + 1
    switch autoPad {
    case "VALID": return ((input - ek) / s + 1, 0, 0)
    case "SAME_UPPER", "SAME_LOWER":
        let out = (input + s - 1) / s
        let total = max((out - 1) * s + ek - input, 0)
        let head = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
        return (out, head, total - head)
    default:
        let span = input + padBegin + padEnd - ek
        var out = (ceilMode ? (span + s - 1) / s : span / s) + 1
        if ceilMode, (out - 1) * s >= input + padBegin { out -= 1 }
        return (out, padBegin, padEnd)
    }
}

/// Conv 1-D / 2-D with groups (depthwise included), through im2col per sample and group.
enum ConvMath {
    struct Geometry {
        let n, c, h, w, oc, kh, kw, oh, ow, padH, padW, groups: Int
        let sh, sw, dh, dw: Int
        var cg: Int { c / groups }
        var ocg: Int { oc / groups }
        var patch: Int { cg * kh * kw }
        var positions: Int { oh * ow }
    }

    static func geometry<T: TrainScalar>(_ x: TrainTensor<T>, _ weight: TrainTensor<T>, _ a: ConvAttributes) throws -> Geometry {
        guard x.rank == a.spatial + 2, weight.rank == a.spatial + 2 else {
            throw trainError("Conv input \(x.shape) and weight \(weight.shape) do not match a \(a.spatial)-D convolution")
        }
        let h = a.spatial == 2 ? x.shape[2] : 1, w = x.shape[x.rank - 1]
        let kh = a.spatial == 2 ? weight.shape[2] : 1, kw = weight.shape[weight.rank - 1]
        guard x.shape[1] == weight.shape[1] * a.group, weight.shape[0] % a.group == 0 else {
            throw trainError("Conv input has \(x.shape[1]) channels; weight \(weight.shape) with group \(a.group) expects \(weight.shape[1] * a.group)")
        }
        let vh = a.axis(0, input: h, kernel: kh), vw = a.axis(1, input: w, kernel: kw)
        guard vh.out > 0, vw.out > 0 else { throw trainError("Conv output of input \(x.shape) with kernel \(weight.shape) is empty") }
        return Geometry(n: x.shape[0], c: x.shape[1], h: h, w: w, oc: weight.shape[0], kh: kh, kw: kw, oh: vh.out, ow: vw.out,
                        padH: vh.padBegin, padW: vw.padBegin, groups: a.group, sh: a.strides[0], sw: a.strides[1],
                        dh: a.dilations[0], dw: a.dilations[1])
    }

    /// Patches of sample `s`, group `gr`: [patch, positions].
    static func im2col<T: TrainScalar>(_ x: UnsafePointer<T>, _ g: Geometry, sample s: Int, group gr: Int, into col: UnsafeMutablePointer<T>) {
        var row = 0
        for ci in 0..<g.cg {
            let plane = x + ((s * g.c) + gr * g.cg + ci) * g.h * g.w
            for ky in 0..<g.kh {
                for kx in 0..<g.kw {
                    let dst = col + row * g.positions
                    for oy in 0..<g.oh {
                        let iy = oy * g.sh - g.padH + ky * g.dh
                        for ox in 0..<g.ow {
                            let ix = ox * g.sw - g.padW + kx * g.dw
                            dst[oy * g.ow + ox] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? plane[iy * g.w + ix] : 0
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Adds patch gradients back into the input gradient (the adjoint of im2col).
    static func col2im<T: TrainScalar>(_ col: UnsafePointer<T>, _ g: Geometry, sample s: Int, group gr: Int, into dx: UnsafeMutablePointer<T>) {
        var row = 0
        for ci in 0..<g.cg {
            let plane = dx + ((s * g.c) + gr * g.cg + ci) * g.h * g.w
            for ky in 0..<g.kh {
                for kx in 0..<g.kw {
                    let src = col + row * g.positions
                    for oy in 0..<g.oh {
                        let iy = oy * g.sh - g.padH + ky * g.dh
                        guard iy >= 0 && iy < g.h else { continue }
                        for ox in 0..<g.ow {
                            let ix = ox * g.sw - g.padW + kx * g.dw
                            if ix >= 0 && ix < g.w { plane[iy * g.w + ix] += src[oy * g.ow + ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    static func forward<T: TrainScalar>(_ x: [TrainTensor<T>], _ a: ConvAttributes) throws -> TrainTensor<T> {
        let g = try geometry(x[0], x[1], a)
        if x.count > 2, x[2].count != g.oc { throw trainError("Conv bias has \(x[2].count) elements for \(g.oc) output channels") }
        var out = [T](repeating: 0, count: g.n * g.oc * g.positions)
        var col = [T](repeating: 0, count: g.patch * g.positions)
        x[0].data.withUnsafeBufferPointer { xp in
            x[1].data.withUnsafeBufferPointer { wp in
                col.withUnsafeMutableBufferPointer { cp in
                    out.withUnsafeMutableBufferPointer { op in
                        for s in 0..<g.n {
                            for gr in 0..<g.groups {
                                im2col(xp.baseAddress!, g, sample: s, group: gr, into: cp.baseAddress!)
                                MatrixProducts.nn(wp.baseAddress! + gr * g.ocg * g.patch, cp.baseAddress!,
                                                  op.baseAddress! + (s * g.oc + gr * g.ocg) * g.positions,
                                                  m: g.ocg, k: g.patch, n: g.positions)
                            }
                            if x.count > 2 {
                                for o in 0..<g.oc {
                                    let b = x[2].data[o], base = (s * g.oc + o) * g.positions
                                    for p in 0..<g.positions { op[base + p] += b }
                                }
                            }
                        }
                    }
                }
            }
        }
        let shape = a.spatial == 2 ? [g.n, g.oc, g.oh, g.ow] : [g.n, g.oc, g.ow]
        return TrainTensor(shape: shape, data: out)
    }

    static func backward<T: TrainScalar>(_ gy: TrainTensor<T>, _ x: [TrainTensor<T>], _ a: ConvAttributes, needs: [Bool]) -> [TrainTensor<T>?] {
        let g = try! geometry(x[0], x[1], a)
        var dx = needs[0] ? [T](repeating: 0, count: x[0].count) : []
        var dw = needs[1] ? [T](repeating: 0, count: x[1].count) : []
        var col = [T](repeating: 0, count: g.patch * g.positions)
        var colT = [T](repeating: 0, count: g.patch * g.positions)
        let wT: [[T]] = needs[0] ? (0..<g.groups).map { gr in
            MatrixProducts.transpose(Array(x[1].data[(gr * g.ocg * g.patch)..<((gr + 1) * g.ocg * g.patch)]), rows: g.ocg, cols: g.patch)
        } : []
        x[0].data.withUnsafeBufferPointer { xp in
            gy.data.withUnsafeBufferPointer { gp in
                for s in 0..<g.n {
                    for gr in 0..<g.groups {
                        let gyg = gp.baseAddress! + (s * g.oc + gr * g.ocg) * g.positions
                        if needs[1] {
                            // dW_g += G_g [ocg x P] · colᵀ [P x patch]
                            col.withUnsafeMutableBufferPointer { im2col(xp.baseAddress!, g, sample: s, group: gr, into: $0.baseAddress!) }
                            for r in 0..<g.patch { for p in 0..<g.positions { colT[p * g.patch + r] = col[r * g.positions + p] } }
                            dw.withUnsafeMutableBufferPointer { d in
                                MatrixProducts.nn(gyg, colT, d.baseAddress! + gr * g.ocg * g.patch, m: g.ocg, k: g.positions, n: g.patch)
                            }
                        }
                        if needs[0] {
                            // dcol = W_gᵀ [patch x ocg] · G_g [ocg x P], then back onto the input.
                            for i in 0..<col.count { col[i] = 0 }
                            col.withUnsafeMutableBufferPointer { c in
                                MatrixProducts.nn(wT[gr], gyg, c.baseAddress!, m: g.patch, k: g.ocg, n: g.positions)
                            }
                            dx.withUnsafeMutableBufferPointer { d in col2im(col, g, sample: s, group: gr, into: d.baseAddress!) }
                        }
                    }
                }
            }
        }
        var result: [TrainTensor<T>?] = [needs[0] ? TrainTensor(shape: x[0].shape, data: dx) : nil,
                                         needs[1] ? TrainTensor(shape: x[1].shape, data: dw) : nil]
        if x.count > 2 {
            var db: TrainTensor<T>? = nil
            if needs[2] {
                var d = [T](repeating: 0, count: g.oc)
                for s in 0..<g.n { for o in 0..<g.oc { for p in 0..<g.positions { d[o] += gy.data[(s * g.oc + o) * g.positions + p] } } }
                db = TrainTensor(shape: x[2].shape, data: d)
            }
            result.append(db)
        }
        return result
    }
}
