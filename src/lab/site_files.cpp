#include "lab/site_files.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace l7::lab {

std::vector<std::string> site_names() {
    std::vector<std::string> names;
    for (const SiteFile& f : site_files()) {
        if (names.empty() || names.back() != f.site) {
            names.emplace_back(f.site);
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

bool has_site(std::string_view site) {
    const auto files = site_files();
    return std::any_of(files.begin(), files.end(),
                       [site](const SiteFile& f) { return f.site == site; });
}

void write_site(std::string_view site, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    for (const SiteFile& f : site_files()) {
        if (f.site != site) {
            continue;
        }
        const std::filesystem::path file = dir / std::filesystem::path(f.path);
        std::filesystem::create_directories(file.parent_path());
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(f.text.data(), static_cast<std::streamsize>(f.text.size()));
        out.close();
        if (!out) {
            throw std::runtime_error("cannot write " + file.string());
        }
    }
}

}  // namespace l7::lab
