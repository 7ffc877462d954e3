#pragma once
// Text into HTML, for every page the server writes itself (error pages, directory listings,
// the shop): the five characters that could open markup or end an attribute value become
// character references (HTML 13.1.4; '\'' as &#39; since &apos; is not HTML 4).

#include <string>
#include <string_view>

namespace l7::http {

std::string escape_html(std::string_view text);

}  // namespace l7::http
