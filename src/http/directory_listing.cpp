#include "http/directory_listing.hpp"

#include <algorithm>
#include <ctime>

#include "http/html_escape.hpp"
#include "http/target_path.hpp"

namespace l7::http {
namespace {

// "2026-11-30 14:05" in UTC: short, sortable, and the same for every reader.
std::string format_listing_time(std::int64_t seconds) {
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
    return std::string(text, n);
}

// 1536 -> "1.5K", like the listings of Apache and nginx's autoindex_exact_size off.
std::string format_size(std::uint64_t bytes) {
    static constexpr const char* units[] = {"", "K", "M", "G", "T"};
    if (bytes < 1024) {
        return std::to_string(bytes);
    }
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(units)) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, value < 10 ? "%.1f%s" : "%.0f%s", value, units[unit]);
    return text;
}

}  // namespace

std::string directory_listing_html(std::string_view path, std::vector<DirectoryEntry> entries,
                                   std::size_t omitted) {
    std::sort(entries.begin(), entries.end(), [](const DirectoryEntry& a, const DirectoryEntry& b) {
        if (a.directory != b.directory) {
            return a.directory;
        }
        return a.name < b.name;
    });
    const std::size_t shown = std::min(entries.size(), kMaxListingEntries);
    const std::string title = "Index of " + escape_html(path);
    std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title +
                       "</title></head>\n<body><h1>" + title +
                       "</h1>\n<table>\n<tr><th>Name</th><th>Last modified</th><th>Size</th>"
                       "</tr>\n";
    if (path != "/") {
        html += "<tr><td><a href=\"../\">../</a></td><td></td><td>-</td></tr>\n";
    }
    for (std::size_t i = 0; i < shown; ++i) {
        const DirectoryEntry& e = entries[i];
        const std::string slash = e.directory ? "/" : "";
        // "./" keeps a name such as "a:b" from reading as a URL with a scheme.
        html += "<tr><td><a href=\"./" + escape_html(percent_encode(e.name)) + slash + "\">" +
                escape_html(e.name) + slash + "</a></td><td>" + format_listing_time(e.modified) +
                "</td><td>" + (e.directory ? std::string("-") : format_size(e.size)) +
                "</td></tr>\n";
    }
    html += "</table>\n";
    omitted += entries.size() - shown;
    if (omitted > 0) {
        html += "<p>" + std::to_string(omitted) + " more entries not shown.</p>\n";
    }
    html += "</body></html>\n";
    return html;
}

}  // namespace l7::http
