import pytest
from onboarding.errors import UnsafeUrlError
from onboarding.ssrf import UrlPolicy, choose_address, parse_webhook_url

STRICT = UrlPolicy()
DEV = UrlPolicy(allow_hosts=frozenset({"localhost"}))


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.10.10", "link-local"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "carrier-grade"),
        ("fd00:ec2::254", "metadata"),
        ("2002:a00:1::1", "private address \\(10.0.0.1, embedded in 2002"),  # 6to4 of 10.0.0.1
        ("2002:7f00:1::1", "loopback address \\(127.0.0.1, embedded"),  # 6to4 of 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),  # Teredo, client 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "metadata address \\(169.254.169.254, embedded"),  # NAT64 of the metadata address
        ("fec0::1", "site-local"),
    ],
)
def test_a_host_resolving_to_an_internal_address_is_refused_with_the_reason(address, reason):
    with pytest.raises(UnsafeUrlError, match=reason) as info:
        choose_address("hooks.partner.example", [address], STRICT)
    assert "hooks.partner.example" in str(info.value) and "not allow-listed" in str(info.value)


def test_one_internal_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(UnsafeUrlError, match="10.0.0.5"):
        choose_address("rebind.example", ["93.184.216.34", "10.0.0.5"], STRICT)


def test_public_addresses_are_accepted_and_the_checked_one_is_returned():
    assert str(choose_address("hooks.example", ["93.184.216.34"], STRICT)) == "93.184.216.34"


def test_an_allow_listed_dev_host_may_resolve_to_loopback():
    assert str(choose_address("localhost", ["127.0.0.1"], DEV)) == "127.0.0.1"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example/x", "scheme"),
        ("http://hooks.example/x", "https"),
        ("https://user:pw@hooks.example/x", "credentials"),
        ("https:///nohost", "no host"),
        ("https://hooks.example:99999/x", "malformed"),
        ("https://" + "a" * 2100, "longer than 2048"),
        ("https://hooks.example:8443/x", "port 8443 is not allowed"),
        ("https://hooks.example:22/x", "port 22 is not allowed"),
    ],
)
def test_url_shape_rules(url, reason):
    with pytest.raises(UnsafeUrlError, match=reason):
        parse_webhook_url(url, STRICT)


def test_http_is_fine_for_an_allow_listed_host():
    assert parse_webhook_url("http://localhost:8080/h", DEV).hostname == "localhost"


def test_a_public_6to4_address_is_judged_by_the_ipv4_it_embeds():
    assert str(choose_address("hooks.example", ["2002:808:808::1"], STRICT)) == "2002:808:808::1"


def test_port_443_and_allow_listed_hosts_may_name_a_port():
    assert parse_webhook_url("https://hooks.example:443/x", STRICT).port == 443
    assert parse_webhook_url("http://localhost:8099/x", DEV).port == 8099
