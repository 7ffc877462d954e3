// Addresses (RFC 5322 section 3.4): the examples of Appendix A, the obsolete forms, hostile
// input, and formatting back.

#include <gtest/gtest.h>

#include <string>

#include "mail/address.hpp"

namespace l7::mail {
namespace {

Mailbox mb(std::string display, std::string local, std::string domain) {
    Mailbox m;
    m.display_name = std::move(display);
    m.local_part = std::move(local);
    m.domain = std::move(domain);
    return m;
}

// Compares what a mailbox says, not how its phrase was written.
void expect_mailbox(const Mailbox& got, std::string_view display, std::string_view local,
                    std::string_view domain) {
    EXPECT_EQ(got.display_name, display);
    EXPECT_EQ(got.local_part, local);
    EXPECT_EQ(got.domain, domain);
}

TEST(Address, AppendixA12QuotedNamesAndPlainAddresses) {
    auto from = parse_mailbox("\"Joe Q. Public\" <john.q.public@example.com>");
    ASSERT_TRUE(from);
    expect_mailbox(*from, "Joe Q. Public", "john.q.public", "example.com");
    EXPECT_EQ(from->addr_spec(), "john.q.public@example.com");

    auto to = parse_address_list("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>");
    ASSERT_TRUE(to);
    ASSERT_EQ(to->size(), 3u);
    expect_mailbox(std::get<Mailbox>((*to)[0]), "Mary Smith", "mary", "x.test");
    expect_mailbox(std::get<Mailbox>((*to)[1]), "", "jdoe", "example.org");
    expect_mailbox(std::get<Mailbox>((*to)[2]), "Who?", "one", "y.test");

    auto cc =
        parse_address_list("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>");
    ASSERT_TRUE(cc);
    ASSERT_EQ(cc->size(), 2u);
    expect_mailbox(std::get<Mailbox>((*cc)[0]), "", "boss", "nil.test");
    expect_mailbox(std::get<Mailbox>((*cc)[1]), "Giant; \"Big\" Box", "sysservices", "example.net");
}

TEST(Address, AppendixA13Groups) {
    auto to =
        parse_address_list("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;");
    ASSERT_TRUE(to);
    ASSERT_EQ(to->size(), 1u);
    const Group& g = std::get<Group>((*to)[0]);
    EXPECT_EQ(g.display_name, "A Group");
    ASSERT_EQ(g.members.size(), 3u);
    expect_mailbox(g.members[0], "Ed Jones", "c", "a.test");
    expect_mailbox(g.members[1], "", "joe", "where.test");
    expect_mailbox(g.members[2], "John", "jdoe", "one.test");

    auto cc = parse_address_list("Undisclosed recipients:;");
    ASSERT_TRUE(cc);
    ASSERT_EQ(cc->size(), 1u);
    EXPECT_EQ(std::get<Group>((*cc)[0]).display_name, "Undisclosed recipients");
    EXPECT_TRUE(std::get<Group>((*cc)[0]).members.empty());
    EXPECT_EQ(flatten(*to).size(), 3u);
}

TEST(Address, AppendixA5CommentsAndWhitespaceEverywhere) {
    auto from = parse_mailbox("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>");
    ASSERT_TRUE(from);
    expect_mailbox(*from, "Pete", "pete", "silly.test");

    auto to = parse_address_list(
        "A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
        "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the "
        "group)");
    ASSERT_TRUE(to);
    ASSERT_EQ(to->size(), 1u);
    const Group& g = std::get<Group>((*to)[0]);
    EXPECT_EQ(g.display_name, "A Group");
    ASSERT_EQ(g.members.size(), 3u);
    expect_mailbox(g.members[0], "Chris Jones", "c", "public.example");
    expect_mailbox(g.members[2], "John", "jdoe", "one.test");

    auto cc = parse_address_list("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;");
    ASSERT_TRUE(cc);
    ASSERT_EQ(cc->size(), 1u);
    EXPECT_EQ(std::get<Group>((*cc)[0]).display_name, "Hidden recipients");
}

TEST(Address, AppendixA6ObsoleteForms) {
    auto from = parse_mailbox("Joe Q. Public <john.q.public@example.com>");
    ASSERT_TRUE(from);
    expect_mailbox(*from, "Joe Q. Public", "john.q.public", "example.com");

    // obs-route, an empty list element, CFWS around the dots of a domain.
    auto to =
        parse_address_list("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example");
    ASSERT_TRUE(to);
    ASSERT_EQ(to->size(), 2u);
    expect_mailbox(std::get<Mailbox>((*to)[0]), "Mary Smith", "mary", "example.net");
    expect_mailbox(std::get<Mailbox>((*to)[1]), "", "jdoe", "test.example");

    auto route = parse_mailbox("<@a.test,,@b.test:user@c.test>");
    ASSERT_TRUE(route);
    expect_mailbox(*route, "", "user", "c.test");
    auto dotted = parse_mailbox("john . q . public @ example . com");
    ASSERT_TRUE(dotted);
    expect_mailbox(*dotted, "", "john.q.public", "example.com");
}

TEST(Address, EncodedWordsInDisplayNamesAreDecoded) {
    // RFC 2047 section 8.
    auto keld = parse_mailbox("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>");
    ASSERT_TRUE(keld);
    expect_mailbox(*keld, "Keld J\xC3\xB8rn Simonsen", "keld", "dkuug.dk");
    EXPECT_EQ(keld->phrase, "=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=");
    auto andre = parse_mailbox("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>");
    ASSERT_TRUE(andre);
    EXPECT_EQ(andre->display_name, "Andr\xC3\xA9 Pirard");
    auto moore = parse_mailbox("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>");
    ASSERT_TRUE(moore);
    EXPECT_EQ(moore->display_name, "Keith Moore");
    // Not allowed inside quotes, but sent that way often enough to be read.
    auto quoted = parse_mailbox("\"=?UTF-8?B?SsO8cmdlbg==?=\" <j@example.com>");
    ASSERT_TRUE(quoted);
    EXPECT_EQ(quoted->display_name, "J\xC3\xBCrgen");
}

TEST(Address, QuotedLocalPartsDomainLiteralsAndUtf8) {
    auto quoted = parse_mailbox("\"john doe\"@example.com");
    ASSERT_TRUE(quoted);
    expect_mailbox(*quoted, "", "john doe", "example.com");
    EXPECT_EQ(quoted->addr_spec(), "\"john doe\"@example.com");

    auto pair = parse_mailbox("\"a\\\"b\\\\c\"@example.com");
    ASSERT_TRUE(pair);
    EXPECT_EQ(pair->local_part, "a\"b\\c");
    EXPECT_EQ(pair->addr_spec(), "\"a\\\"b\\\\c\"@example.com");

    auto literal = parse_mailbox("user@[192.0.2.1]");
    ASSERT_TRUE(literal);
    EXPECT_EQ(literal->domain, "[192.0.2.1]");
    auto v6 = parse_mailbox("<user@[ IPv6:2001:db8::1 ]>");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->domain, "[IPv6:2001:db8::1]");

    auto utf8 = parse_mailbox(
        "J\xC3\xBCrgen <j\xC3\xBCrgen@b\xC3\xBC"
        "cher.example>");
    ASSERT_TRUE(utf8);
    expect_mailbox(*utf8, "J\xC3\xBCrgen", "j\xC3\xBCrgen",
                   "b\xC3\xBC"
                   "cher.example");
}

TEST(Address, LeniencySeenInStoredMail) {
    auto dots = parse_mailbox("john..doe.@example.jp");
    ASSERT_TRUE(dots);
    EXPECT_EQ(dots->local_part, "john..doe.");
    auto group = parse_address_list("undisclosed-recipients:");
    ASSERT_TRUE(group);
    ASSERT_EQ(group->size(), 1u);
    EXPECT_EQ(std::get<Group>((*group)[0]).display_name, "undisclosed-recipients");
    auto empty = parse_address_list("  ,, (nobody) ,");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
    EXPECT_TRUE(parse_address_list("")->empty());
}

TEST(Address, MalformedInputIsAnError) {
    struct Case {
        std::string input;
        AddressError error;
    };
    const Case cases[] = {
        {"", AddressError::empty},
        {"   (just a comment)  ", AddressError::empty},
        {"<>", AddressError::empty},
        {"\"unterminated <a@b>", AddressError::unterminated_quoted_string},
        {"a@b (comment", AddressError::unterminated_comment},
        {"a@b (nested (comment)", AddressError::unterminated_comment},
        {"a@b (\\", AddressError::unterminated_comment},
        {std::string(40, '(') + "x" + std::string(40, ')') + "a@b", AddressError::comment_too_deep},
        {"a@[1.2.3.4", AddressError::unterminated_domain_literal},
        {"a@[1.2[3].4]", AddressError::unexpected_character},
        {"Name <a@b", AddressError::unterminated_angle_addr},
        {"Name <a@b c>", AddressError::unexpected_character},
        {"Name <ab>", AddressError::missing_at},
        {"Name <", AddressError::unterminated_angle_addr},
        {"Name", AddressError::missing_at},
        {"@example.com", AddressError::missing_local_part},
        {"..@example.com", AddressError::missing_local_part},
        {"a@", AddressError::missing_domain},
        {"a@b.", AddressError::missing_domain},
        {"a@.b", AddressError::missing_domain},
        {"a@b c@d", AddressError::unexpected_character},
        {"john doe@example.com", AddressError::unexpected_character},
        {"a@b, c@d", AddressError::unexpected_character},
        {"G: a@b;", AddressError::group_not_allowed},
        {std::string("a\0b@c", 5), AddressError::unexpected_character},
        {"<@a.test user@b>", AddressError::unexpected_character},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.input);
        auto r = parse_mailbox(c.input);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), c.error) << describe(r.error());
    }
    auto nested = parse_address_list("G: H: a@b;;");
    ASSERT_FALSE(nested);
    EXPECT_EQ(nested.error(), AddressError::nested_group);
    auto no_name = parse_address_list(": a@b;");
    ASSERT_FALSE(no_name);
    EXPECT_EQ(no_name.error(), AddressError::unexpected_character);
    auto group_in_from = parse_mailbox_list("a@b, G: c@d;");
    ASSERT_FALSE(group_in_from);
    EXPECT_EQ(group_in_from.error(), AddressError::group_not_allowed);
    auto empty_from = parse_mailbox_list(" , ");
    ASSERT_FALSE(empty_from);
    EXPECT_EQ(empty_from.error(), AddressError::empty);
    auto junk = parse_address_list("a@b; c@d");
    ASSERT_FALSE(junk);
    EXPECT_EQ(junk.error(), AddressError::unexpected_character);
}

TEST(Address, InputAndCountAreBounded) {
    std::string list;
    for (std::size_t i = 0; i < kMaxAddresses; ++i) {
        list += "a@b,";
    }
    auto full = parse_address_list(list);
    ASSERT_TRUE(full);
    EXPECT_EQ(full->size(), kMaxAddresses);
    auto over = parse_address_list(list + "G: c@d;");
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error(), AddressError::too_many_addresses);
    auto long_text = parse_address_list(std::string(kMaxAddressFieldLength + 1, ' '));
    ASSERT_FALSE(long_text);
    EXPECT_EQ(long_text.error(), AddressError::too_long);
    // Deep but allowed nesting, and an unterminated one a hundred thousand bytes long.
    EXPECT_TRUE(parse_mailbox(std::string(kMaxCommentDepth, '(') +
                              std::string(kMaxCommentDepth, ')') + "a@b"));
    EXPECT_FALSE(parse_mailbox("a@b " + std::string(100000, '(')));
    EXPECT_FALSE(parse_mailbox("\"" + std::string(100000, 'x')));
}

TEST(Address, FormatsDisplayNamesAsAtomsQuotedStringsOrEncodedWords) {
    EXPECT_EQ(format_mailbox(mb("Mary Smith", "mary", "x.test")), "Mary Smith <mary@x.test>");
    EXPECT_EQ(format_mailbox(mb("", "jdoe", "example.org")), "jdoe@example.org");
    EXPECT_EQ(format_mailbox(mb("Joe Q. Public", "john.q.public", "example.com")),
              "\"Joe Q. Public\" <john.q.public@example.com>");
    EXPECT_EQ(format_mailbox(mb("Giant; \"Big\" Box", "sys", "example.net")),
              "\"Giant; \\\"Big\\\" Box\" <sys@example.net>");
    EXPECT_EQ(format_mailbox(mb("J\xC3\xBCrgen", "j", "example.com")),
              "=?UTF-8?Q?J=C3=BCrgen?= <j@example.com>");
    EXPECT_EQ(format_display_name("two  spaces"), "\"two  spaces\"");
    // Text that a reader would take for an encoded word is encoded itself.
    const std::string lookalike = format_display_name("=?x?q?y?=");
    EXPECT_TRUE(lookalike.starts_with("=?UTF-8?"));
    EXPECT_EQ(parse_mailbox(lookalike + " <a@b>")->display_name, "=?x?q?y?=");
    EXPECT_EQ(format_addr_spec("john doe", "example.com"), "\"john doe\"@example.com");
    EXPECT_EQ(format_addr_spec("john..doe", "example.com"), "\"john..doe\"@example.com");
    EXPECT_TRUE(is_dot_atom("a.b-c+d"));
    EXPECT_FALSE(is_dot_atom("a..b"));
    EXPECT_FALSE(is_dot_atom(".a"));
    EXPECT_FALSE(is_dot_atom(""));
}

TEST(Address, FormatsGroupsAndLists) {
    Group g;
    g.display_name = "A Group";
    g.members = {mb("Ed Jones", "c", "a.test"), mb("", "joe", "where.test")};
    Group empty;
    empty.display_name = "Undisclosed recipients";
    const std::vector<Address> list = {g, empty, mb("", "x", "y.test")};
    EXPECT_EQ(format_address_list(list),
              "A Group: Ed Jones <c@a.test>, joe@where.test;, Undisclosed recipients:;, x@y.test");
    Group nameless;
    EXPECT_EQ(format_address(nameless), "\"\":;");
    const std::vector<Mailbox> mailboxes = {mb("A", "a", "b"), mb("", "c", "d")};
    EXPECT_EQ(format_mailbox_list(mailboxes), "A <a@b>, c@d");
}

TEST(Address, FormattedListsParseBackToTheSameAddresses) {
    Group g;
    g.display_name = "Gr\xC3\xBCppe; mit \"Quotes\"";
    g.members = {mb("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xE3\x81\xAE\xE5\x90\x8D\xE5\x89\x8D",
                    "u", "example.jp"),
                 mb("Back\\slash", "we ird", "[192.0.2.7]")};
    const std::vector<Address> list = {mb("Plain Name", "plain", "example.com"), g,
                                       mb("", "x.y", "z.example")};
    auto parsed = parse_address_list(format_address_list(list));
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->size(), 3u);
    const Mailbox& first = std::get<Mailbox>((*parsed)[0]);
    expect_mailbox(first, "Plain Name", "plain", "example.com");
    const Group& group = std::get<Group>((*parsed)[1]);
    EXPECT_EQ(group.display_name, g.display_name);
    ASSERT_EQ(group.members.size(), 2u);
    expect_mailbox(group.members[0], g.members[0].display_name, "u", "example.jp");
    expect_mailbox(group.members[1], "Back\\slash", "we ird", "[192.0.2.7]");
    expect_mailbox(std::get<Mailbox>((*parsed)[2]), "", "x.y", "z.example");
}

}  // namespace
}  // namespace l7::mail
