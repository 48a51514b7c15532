import EdgePruneDaemon

/// The device-shadow topics of one device under a prefix P (default `edgeprune`):
///
///     P/devices/D/config/desired    retained, signed envelope for device D   (subscribed)
///     P/groups/G/config/desired     retained, signed envelope for group G    (subscribed)
///     P/devices/D/config/reported   retained, JSON outcome of the last desired message
///     P/devices/D/availability      retained, "online" / "offline" (the last will)
///     P/devices/D/inference         the MQTT sink's default topic
///
/// Device and group names are 1-64 characters of `A-Z a-z 0-9 . _ -`, so they never hold a
/// level separator or a wildcard.
public struct FleetTopics: Equatable, Sendable {
    public let prefix: String
    public let device: String
    public let groups: [String]

    public init(prefix: String, device: String, groups: [String]) {
        self.prefix = prefix
        self.device = device
        self.groups = groups
    }

    public var deviceDesired: String { "\(prefix)/devices/\(device)/config/desired" }
    public var reported: String { "\(prefix)/devices/\(device)/config/reported" }
    public var availability: String { "\(prefix)/devices/\(device)/availability" }
    public var inference: String { "\(prefix)/devices/\(device)/inference" }

    public func groupDesired(_ group: String) -> String { "\(prefix)/groups/\(group)/config/desired" }

    /// Every desired-config topic this device listens to: its own, then its groups'.
    public var desired: [String] { [deviceDesired] + groups.map(groupDesired) }

    /// A sink topic template with `{device}` and `{prefix}` filled in, e.g.
    /// `edgeprune/{device}/inference` → `edgeprune/pi-07/inference`.
    public func expand(_ template: String) -> String {
        template.replacing("{device}", with: device).replacing("{prefix}", with: prefix)
    }
}
