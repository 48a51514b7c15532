/// Seconds with three decimals, for log lines.
func format3(_ v: Double) -> String {
    let ms = Int((v * 1000).rounded())
    let frac = ms % 1000
    return "\(ms / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + "\(frac)"
}
