#include "app/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iterator>

namespace l7::app {

std::string human_bytes(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    std::size_t unit = 0;
    while (bytes >= 1024 && unit + 1 < std::size(units)) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    const bool whole = bytes == static_cast<double>(static_cast<std::uint64_t>(bytes));
    std::snprintf(text, sizeof text, unit == 0 || whole ? "%.0f %s" : "%.1f %s", bytes,
                  units[unit]);
    return text;
}

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), tty_(::isatty(STDERR_FILENO) == 1) {}

void ProgressBar::update(std::uint64_t bytes, std::optional<std::uint64_t> total) {
    const auto now = Clock::now();
    if (!start_) {
        start_ = now;  // the first call: the time and bytes the rate is measured from
        start_bytes_ = bytes;
    }
    if (!tty_ || now - *start_ < std::chrono::seconds(1) ||
        (shown_ && now - last_ < std::chrono::milliseconds(200))) {
        return;
    }
    last_ = now;
    const double secs = std::chrono::duration<double>(now - *start_).count();
    std::string line =
        "\r" + (label_.empty() ? "" : label_ + " ") + human_bytes(static_cast<double>(bytes));
    if (total && *total > 0) {
        line += " of " + human_bytes(static_cast<double>(*total)) + " (" +
                std::to_string(bytes * 100 / *total) + "%)";
    }
    line += ", " + human_bytes(static_cast<double>(bytes - start_bytes_) / secs) + "/s   ";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
}

void ProgressBar::finish() {
    if (shown_) {
        std::fputs("\n", stderr);
        shown_ = false;
    }
}

}  // namespace l7::app
