#pragma once
// The HTML index of a directory that has no index file, when a virtual host turns listings
// on: a table of names (links percent-encoded, text HTML-escaped), sizes and modification
// times, directories first, then files, each group by name. Sans-I/O: the driver reads the
// directory and hands the entries over.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace l7::http {

struct DirectoryEntry {
    std::string name;  // one path segment, as on disk
    bool directory = false;
    std::uint64_t size = 0;
    std::int64_t modified = 0;  // Unix seconds
};

// A listing never shows more entries than this; the page says how many were left out.
inline constexpr std::size_t kMaxListingEntries = 10'000;

// `path` is the decoded URL path of the directory, ending in '/'. Entries whose name starts
// with '.' are the caller's to drop (dotfiles stay hidden unless served). Past
// kMaxListingEntries, entries are left out and counted with `omitted` (those the caller did
// not even read) in a note on the page.
std::string directory_listing_html(std::string_view path, std::vector<DirectoryEntry> entries,
                                   std::size_t omitted = 0);

}  // namespace l7::http
