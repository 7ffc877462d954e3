#include "core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "core/json.hpp"
#include "core/time_format.hpp"

namespace l7::log {

namespace {

std::atomic<Level> g_level{Level::info};
std::atomic<Format> g_format{Format::text};
std::mutex g_mutex;

const char* level_name(Level l) {
    switch (l) {
        case Level::error:
            return "error";
        case Level::warn:
            return "warn";
        case Level::info:
            return "info";
        case Level::debug:
            return "debug";
    }
    return "info";
}

}  // namespace

void configure(Level level, Format format) {
    g_level = level;
    g_format = format;
}

bool enabled(Level level) {
    return level <= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view component, std::string_view message) {
    if (!enabled(level)) {
        return;
    }
    std::string line;
    if (g_format == Format::json) {
        line = "{\"time\":\"" + iso8601_utc(std::chrono::system_clock::now()) + "\",\"level\":\"" +
               level_name(level) + "\",\"component\":";
        json::append_string(line, component);
        line += ",\"msg\":";
        json::append_string(line, message);
        line += "}\n";
    } else {
        std::string name = level_name(level);
        name.resize(5, ' ');
        line = iso8601_utc(std::chrono::system_clock::now()) + " " + name + " ";
        line += component;
        line += ": ";
        line += message;
        line += '\n';
    }
    std::lock_guard lock(g_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace l7::log
