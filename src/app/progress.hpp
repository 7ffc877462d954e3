#pragma once
// What the long-running commands (`l7 ftp get|put`, `l7 torrent create`) show while they
// work: sizes in binary units and a one-line progress bar on stderr.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace l7::app {

// "512 B", "1.5 KiB", "3 MiB" (whole values without a decimal).
std::string human_bytes(double bytes);

// A one-line bar on stderr, redrawn in place: only on a terminal (a log or a pipe gets no
// carriage returns), and only once the work has taken more than a second (short work would
// just flicker). "LABEL 12 MiB of 40 MiB (30%), 5.1 MiB/s".
class ProgressBar {
  public:
    explicit ProgressBar(std::string label = {});

    void update(std::uint64_t bytes, std::optional<std::uint64_t> total);
    // Ends the bar's line, if one was drawn.
    void finish();

  private:
    using Clock = std::chrono::steady_clock;
    std::string label_;
    bool tty_;
    std::optional<Clock::time_point> start_;
    std::uint64_t start_bytes_ = 0;
    Clock::time_point last_{};
    bool shown_ = false;
};

}  // namespace l7::app
