-- trusted.lua -- clients in trusted_networks (IPv4, IPv6 and IPv4-mapped
-- IPv6) are accepted at connect and never scanned; other clients are.
-- config: trusted_networks = 192.0.2.0/24, 2001:db8::/32
-- expect-log: connect from trusted\.example\[192\.0\.2\.10\]: accept \(trusted network\)
-- expect-log-count: 1 action=accept
-- forbid-log: client=trusted\.example.*action=
dofile(libdir .. "/lib.lua")

-- A trusted IPv4 client.
local conn = W.connect()
W.ok(mt.conninfo(conn, "trusted.example", "192.0.2.10"), "conninfo")
W.reply(conn, SMFIR_ACCEPT, "connect from 192.0.2.10")
mt.disconnect(conn)

-- A trusted IPv6 client.
conn = W.connect()
W.ok(mt.conninfo(conn, "trusted.example", "2001:db8::5"), "conninfo v6")
W.reply(conn, SMFIR_ACCEPT, "connect from 2001:db8::5")
mt.disconnect(conn)

-- A dual-stack MTA may report an IPv4 client as IPv4-mapped IPv6.
conn = W.connect()
W.ok(mt.conninfo(conn, "trusted.example", "::ffff:192.0.2.20"),
    "conninfo mapped")
W.reply(conn, SMFIR_ACCEPT, "connect from ::ffff:192.0.2.20")
mt.disconnect(conn)

-- The neighbour block is not trusted, and its message is scanned.
conn = W.connect()
W.client(conn, "other.example", "192.0.3.10")
W.message(conn)
W.clean_status(conn)
mt.disconnect(conn)
