#include "core/trace/recorder.hpp"

namespace l7::trace {

std::string preview(std::string_view bytes, std::size_t max) {
    if (bytes.size() <= max) {
        return std::string(bytes);
    }
    return std::string(bytes.substr(0, max)) + "... (" + std::to_string(bytes.size()) + " bytes)";
}

void Recorder::record(Direction direction, std::string_view message) {
    if (enabled_) {
        events_.push_back(Event{direction, std::string(message)});
    }
}

void Recorder::record_lines(Direction direction, std::string_view wire) {
    if (!enabled_) {
        return;
    }
    while (!wire.empty()) {
        const auto lf = wire.find('\n');
        std::string_view line = wire.substr(0, lf);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        events_.push_back(Event{direction, std::string(line)});
        if (lf == std::string_view::npos) {
            break;
        }
        wire.remove_prefix(lf + 1);
    }
}

std::vector<Event> Recorder::take() {
    std::vector<Event> out;
    out.swap(events_);
    return out;
}

}  // namespace l7::trace
