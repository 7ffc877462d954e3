#pragma once
// Process-wide logging for drivers and commands (protocol cores return events instead).
//
//   text:  2026-11-22T03:10:00.123Z info  socket: listening on udp 127.0.0.1:12000
//   json:  {"time":"...","level":"info","component":"socket","msg":"listening on ..."}
//
// Levels: -q shows warnings and errors, the default adds info, -v adds debug. Thread-safe.

#include <string_view>

namespace l7::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };
enum class Format { text, json };

void configure(Level level, Format format);
bool enabled(Level level);
void write(Level level, std::string_view component, std::string_view message);

inline void error(std::string_view component, std::string_view message) {
    write(Level::error, component, message);
}
inline void warn(std::string_view component, std::string_view message) {
    write(Level::warn, component, message);
}
inline void info(std::string_view component, std::string_view message) {
    write(Level::info, component, message);
}
inline void debug(std::string_view component, std::string_view message) {
    if (enabled(Level::debug)) {
        write(Level::debug, component, message);
    }
}

}  // namespace l7::log
