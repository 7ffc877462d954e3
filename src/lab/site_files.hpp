#pragma once
// The lab's web sites, embedded in the binary at build time from src/lab/www/SITE/PATH (text
// only: HTML, CSS, JavaScript, SVG), so `l7 lab` needs no files beside the binary. A lab's
// http service writes a site's files into its state directory and serves them from there.

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace l7::lab {

struct SiteFile {
    std::string_view site;  // "www.hamburger.edu": the directory under src/lab/www
    std::string_view path;  // "images/lecture-hall.svg": relative to the site
    std::string_view text;
};

// Every embedded file, ordered by site and path (generated: site_data.cpp.in).
std::span<const SiteFile> site_files();

// The embedded sites, sorted.
std::vector<std::string> site_names();

bool has_site(std::string_view site);

// Writes every file of `site` under `dir`, creating directories as needed. Throws
// std::runtime_error naming the file that could not be written.
void write_site(std::string_view site, const std::filesystem::path& dir);

}  // namespace l7::lab
