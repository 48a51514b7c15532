#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// Runs a short external command (vcgencmd) with a deadline, capturing stdout and stderr
/// together. The child runs in its own process group, so on timeout the whole group (the
/// command and anything it started) is killed and reaped: a hung firmware call never blocks
/// the caller for longer than `timeout`.
public enum CommandRunner {
    public struct Output: Sendable, Equatable {
        public let status: Int32
        public let text: String
    }

    public static func run(_ path: String, _ arguments: [String], timeout: Double,
                           maxBytes: Int = 65_536) throws -> Output {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw EdgePruneError(.io, "cannot create a pipe for '\(path)': \(String(cString: strerror(errno)))") }
        let readEnd = fds[0], writeEnd = fds[1]
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        close(writeEnd)
        guard spawned == 0 else {
            close(readEnd)
            throw EdgePruneError(.io, "cannot run '\(path)': \(String(cString: strerror(spawned)))")
        }

        let deadline = DeviceClock.monotonicSeconds() + timeout
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var timedOut = false
        while true {
            let left = deadline - DeviceClock.monotonicSeconds()
            if left <= 0 { timedOut = true; break }
            var pfd = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(max(1, min(left * 1000, 60_000))))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }   // EOF: the command closed its output
            bytes.append(contentsOf: buffer[..<n])
            if bytes.count > maxBytes { break }
        }
        close(readEnd)
        // A command may close its output and keep running: the deadline covers its exit too.
        var status: Int32 = 0
        var reaped = false
        if !timedOut && bytes.count <= maxBytes {
            while true {
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid { reaped = true; break }
                if r < 0 && errno != EINTR { reaped = true; break }
                if DeviceClock.monotonicSeconds() >= deadline { timedOut = true; break }
                usleep(1_000)
            }
        }
        if !reaped {
            kill(-pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        if timedOut {
            throw EdgePruneError(.io, "'\(path) \(arguments.joined(separator: " "))' did not finish within \(timeout) s; killed")
        }
        if bytes.count > maxBytes {
            throw EdgePruneError(.limit, "'\(path)' wrote more than \(maxBytes) bytes; killed")
        }
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Output(status: exitCode, text: String(decoding: bytes, as: UTF8.self))
    }
}
