#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMosquitto

/// One-line texts for libmosquitto's result codes and CONNACK codes.
enum MosquittoErrors {
    static let success = Int32(MOSQ_ERR_SUCCESS.rawValue)

    /// `rc` from a libmosquitto call; `savedErrno` is errno read right after it (used for
    /// MOSQ_ERR_ERRNO, which means "see errno").
    static func describe(_ rc: Int32, errno savedErrno: Int32) -> String {
        if rc == Int32(MOSQ_ERR_ERRNO.rawValue) {
            return oneLine(String(cString: strerror(savedErrno)))
        }
        return oneLine(String(cString: mosquitto_strerror(rc)))
    }

    /// The broker's reason for refusing a connection (CONNACK return code, MQTT 3.1.1).
    static func connack(_ code: Int32) -> String {
        "the broker refused the connection: " + oneLine(String(cString: mosquitto_connack_string(code)))
    }

    private static func oneLine(_ text: String) -> String {
        var t = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        while t.last == "." { t.removeLast() }
        return t
    }
}
