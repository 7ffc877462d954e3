// RFC 5322 section 3.3 date-time: writing, lenient reading (section 4.3's obsolete forms),
// round trips and bad input.

#include <gtest/gtest.h>

#include <limits>

#include "mail/mail_date.hpp"

namespace l7::mail {
namespace {

TEST(MailDate, FormatsInTheGivenZone) {
    EXPECT_EQ(format_mail_date(1796055321, 0), "Mon, 30 Nov 2026 16:15:21 +0000");
    EXPECT_EQ(format_mail_date(880127706, -360), "Fri, 21 Nov 1997 09:55:06 -0600");
    EXPECT_EQ(format_mail_date(1057049557, 120), "Tue, 01 Jul 2003 10:52:37 +0200");
    EXPECT_EQ(format_mail_date(-27723480, -210), "Thu, 13 Feb 1969 23:32:00 -0330");
    EXPECT_EQ(format_mail_date(0, 0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(format_mail_date(0, 330), "Thu, 01 Jan 1970 05:30:00 +0530");
    EXPECT_EQ(format_mail_date(0, -1), "Wed, 31 Dec 1969 23:59:00 -0001");
    EXPECT_EQ(format_mail_date(1709226000, -300), "Thu, 29 Feb 2024 12:00:00 -0500");
}

TEST(MailDate, FormattingClampsTheZoneAndTheYear) {
    EXPECT_EQ(format_mail_date(0, 100000), "Mon, 05 Jan 1970 03:59:00 +9959");
    EXPECT_EQ(format_mail_date(0, -100000), "Sat, 27 Dec 1969 20:01:00 -9959");
    EXPECT_EQ(format_mail_date(std::numeric_limits<std::int64_t>::max(), 0),
              "Fri, 31 Dec 9999 23:59:59 +0000");
    EXPECT_EQ(format_mail_date(std::numeric_limits<std::int64_t>::min(), 0),
              "Mon, 01 Jan 1900 00:00:00 +0000");
    EXPECT_EQ(format_mail_date(std::numeric_limits<std::int64_t>::max(), kMaxUtcOffsetMinutes),
              "Fri, 31 Dec 9999 23:59:59 +9959");
    EXPECT_EQ(format_mail_date(kMinMailDate, 0), "Mon, 01 Jan 1900 00:00:00 +0000");
}

TEST(MailDate, ParsesTheRfc5322Examples) {
    struct Case {
        std::string_view text;
        std::int64_t unix_seconds;
        int offset;
    };
    const Case cases[] = {
        {"Fri, 21 Nov 1997 09:55:06 -0600", 880127706, -360},  // A.1.1
        {"Tue, 1 Jul 2003 10:52:37 +0200", 1057049557, 120},   // A.3
        {"21 Nov 97 09:55:06 GMT", 880106106, 0},              // A.6.2
        {"Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n"
         "               -0330 (Newfoundland Time)",
         -27723480, -210},  // A.5
        {"Mon, 30 Nov 2026 16:15:21 +0000", 1796055321, 0},
    };
    for (const Case& c : cases) {
        auto d = parse_mail_date(c.text);
        ASSERT_TRUE(d) << c.text;
        EXPECT_EQ(d->unix_seconds, c.unix_seconds) << c.text;
        EXPECT_EQ(d->utc_offset_minutes, c.offset) << c.text;
    }
}

TEST(MailDate, ReadsObsoleteAndSloppyForms) {
    struct Case {
        std::string_view text;
        std::int64_t unix_seconds;
        int offset;
    };
    const Case cases[] = {
        {"30 Nov 2026 16:15:21 +0000", 1796055321, 0},      // no day of week
        {"Mon 30 Nov 2026 16:15:21 +0000", 1796055321, 0},  // no comma
        {"monday, 30 NOV 2026 16:15:21 +0000", 1796055321, 0},
        {"Mon, 30 November 2026 16:15:21 +0000", 1796055321, 0},
        {"Mon, 30 Nov 2026 16:15 +0000", 1796055300, 0},  // no seconds
        {"Mon, 30 Nov 2026 16:15:21", 1796055321, 0},     // no zone
        {"Mon, 30 Nov 2026 16:15:21 UT", 1796055321, 0},
        {"Mon, 30 Nov 2026 11:15:21 EST", 1796055321, -300},
        {"Mon, 30 Nov 2026 12:15:21 EDT", 1796055321, -240},
        {"Mon, 30 Nov 2026 10:15:21 CST", 1796055321, -360},
        {"Mon, 30 Nov 2026 09:15:21 PDT", 1796055321, -420},
        {"Mon, 30 Nov 2026 08:15:21 pst", 1796055321, -480},
        {"Mon, 30 Nov 2026 16:15:21 Z", 1796055321, 0},     // military: -0000
        {"Mon, 30 Nov 2026 16:15:21 CEST", 1796055321, 0},  // unknown name: -0000
        {"Mon, 30 Nov 2026 18:15:21 +0200 CEST", 1796055321, 120},
        {"Mon, 30 Nov 2026 18:15:21 +0200 (CEST)", 1796055321, 120},
        {"(c) Mon (c), 30 (c) Nov (c) 2026 (c) 16 : 15 : 21 (c) +0000 (c)", 1796055321, 0},
        {"  Mon, 30 Nov 2026 16:15:21 -0000  ", 1796055321, 0},
        {"Mon, 30 Nov 2026 6:5:1 +0000", 1796018701, 0},     // one-digit fields
        {"Sat, 01 Jan 49 00:00:00 +0000", 2493072000, 0},    // 2049
        {"Sun, 01 Jan 50 00:00:00 +0000", -631152000, 0},    // 1950
        {"Sun, 01 Jan 050 00:00:00 +0000", -631152000, 0},   // three digits: +1900
        {"Sat, 31 Dec 2016 23:59:60 +0000", 1483228800, 0},  // leap second
        {"Fri, 30 Nov 2026 16:15:21 +0000", 1796055321, 0},  // wrong weekday, not checked
        {"Mon, 01 Jan 1900 00:00:00 +0000", kMinMailDate, 0},
    };
    for (const Case& c : cases) {
        auto d = parse_mail_date(c.text);
        ASSERT_TRUE(d) << c.text;
        EXPECT_EQ(d->unix_seconds, c.unix_seconds) << c.text;
        EXPECT_EQ(d->utc_offset_minutes, c.offset) << c.text;
    }
}

TEST(MailDate, BadInputIsAnError) {
    struct Case {
        std::string text;
        DateError error;
    };
    const Case cases[] = {
        {"", DateError::malformed},
        {"garbage", DateError::malformed},
        {"Mon, 30 Nov", DateError::malformed},
        {"Mon, 30 Foo 2026 16:15:21 +0000", DateError::malformed},
        {"Mon, 30 Nov 2026 16:15:21 +000", DateError::malformed},
        {"Mon, 30 Nov 2026 16:15:21 +00000", DateError::malformed},
        {"Mon, 30 Nov 2026 16:15:21 +0000 and more", DateError::malformed},
        {"Mon, 30 Nov 2026 16:15:21 +0000 (unterminated", DateError::malformed},
        {"Mon, 30 Nov 2026 16:15:21 +0000 " + std::string(20, '(') + std::string(20, ')'),
         DateError::malformed},
        {"Mon, 30 Nov 2026 16", DateError::malformed},
        {"Mon, 30 Nov 2026 16:15:21 +0000 (\\", DateError::malformed},
        {"(\\", DateError::malformed},
        {"Mon, 130 Nov 2026 16:15:21 +0000", DateError::malformed},
        {"Mon, 30 Nov 2 16:15:21 +0000", DateError::malformed},
        {"Mon, 30 Nov 2026 116:15:21 +0000", DateError::malformed},
        {std::string("Mon, 30 Nov 2026 16:15:21\0 +0000", 32), DateError::malformed},
        {"Xyz, 30 Nov 2026 16:15:21 +0000", DateError::malformed},
        {"Thu, 31 Apr 2026 16:15:21 +0000", DateError::out_of_range},
        {"Wed, 29 Feb 2023 16:15:21 +0000", DateError::out_of_range},
        {"Mon, 00 Nov 2026 16:15:21 +0000", DateError::out_of_range},
        {"Mon, 30 Nov 2026 24:00:00 +0000", DateError::out_of_range},
        {"Mon, 30 Nov 2026 16:60:00 +0000", DateError::out_of_range},
        {"Mon, 30 Nov 2026 16:15:61 +0000", DateError::out_of_range},
        {"Mon, 30 Nov 2026 16:15:21 +0060", DateError::out_of_range},
        {"Mon, 30 Nov 1899 16:15:21 +0000", DateError::out_of_range},
        {"Mon, 30 Nov 20260 16:15:21 +0000", DateError::out_of_range},
        {"Mon, 30 Nov 2026 16:15:21 +0000" + std::string(kMaxMailDateInput, ' '),
         DateError::too_long},
    };
    for (const Case& c : cases) {
        auto d = parse_mail_date(c.text);
        ASSERT_FALSE(d) << c.text;
        EXPECT_EQ(d.error(), c.error) << c.text << ": " << describe(d.error());
    }
}

TEST(MailDate, FormattedDatesParseBack) {
    const std::int64_t times[] = {0,
                                  1,
                                  -1,
                                  951782400,
                                  1796055321,
                                  4102444799,
                                  kMinMailDate + 86400 * 5,
                                  kMaxMailDate - 86400 * 5,
                                  -27723480};
    const int offsets[] = {0, 60, -60, 330, -210, 845, -720, kMaxUtcOffsetMinutes};
    for (std::int64_t t : times) {
        for (int off : offsets) {
            const std::string text = format_mail_date(t, off);
            auto d = parse_mail_date(text);
            ASSERT_TRUE(d) << text;
            EXPECT_EQ(d->unix_seconds, t) << text;
            EXPECT_EQ(d->utc_offset_minutes, off) << text;
        }
    }
}

}  // namespace
}  // namespace l7::mail
