#!/usr/bin/env python3
"""Generate protobuf wire-format fixtures for lavavisor's hand-written decoder.

Produces params_fixtures.json (next to this script): a list of
QueryParamsResponse byte strings (the `value` of the ABCI query answer for
/lavanet.lava.protocol.Query/Params), each with either the decoded values a
correct decoder must return ("expected") or the error category it must
report ("error").

The bytes are produced by an independent encoder, Python's `protobuf`
package, from descriptors built in this file (no protoc, no .proto files):

    message Version { string provider_target = 1; string provider_min = 2;
                      string consumer_target = 3; string consumer_min = 4; }
    message Params { Version version = 1; }
    message QueryParamsResponse { Params params = 1; }

plus "extended" descriptors that carry extra fields (to produce unknown
fields), "raw" descriptors that declare the submessage fields as `bytes`
(same field number and wire type, so hand-ordered submessage bytes can be
wrapped by protobuf itself), and a proto2 descriptor with a group field.
Only the deliberately malformed tails (wire type 7, an 11-byte varint, a
length prefix larger than the data) are written by hand.

Every valid case is parsed back with the plain descriptors and checked;
every malformed case is checked to be rejected (or, where python accepts it
because it is valid protobuf that lavavisor still must reject, checked to
parse to the documented content).

How to run (from the repository root):

    pip install protobuf==7.36.2
    python3 Tests/Fixtures/protobuf/make_fixtures.py

The committed params_fixtures.json was produced with python protobuf 7.36.2
(upb backend) on CPython 3.11.7. Output is deterministic: running the script
again rewrites an identical file.
"""

import base64
import json
import os
import sys

import google.protobuf
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

FDP = descriptor_pb2.FieldDescriptorProto
PKG = "lavanet.lava.protocol"

# --------------------------------------------------------------------------
# Descriptor helpers
# --------------------------------------------------------------------------


def add_field(msg, name, number, ftype, type_name=None, label=FDP.LABEL_OPTIONAL):
    f = msg.field.add()
    f.name = name
    f.number = number
    f.type = ftype
    f.label = label
    if type_name:
        f.type_name = type_name
    return f


def build_pool(file_name, package, syntax, messages):
    """messages: list of (name, [(field_name, number, type, type_name, label?)], nested)."""
    fdp = descriptor_pb2.FileDescriptorProto()
    fdp.name = file_name
    fdp.package = package
    fdp.syntax = syntax

    def fill(msg, spec):
        name, fields, nested = spec
        msg.name = name
        for n in nested:
            fill(msg.nested_type.add(), n)
        for fspec in fields:
            add_field(msg, *fspec)

    for spec in messages:
        fill(fdp.message_type.add(), spec)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return pool


def cls(pool, full_name):
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


VERSION_FIELDS = [
    ("provider_target", 1, FDP.TYPE_STRING),
    ("provider_min", 2, FDP.TYPE_STRING),
    ("consumer_target", 3, FDP.TYPE_STRING),
    ("consumer_min", 4, FDP.TYPE_STRING),
]

# Plain descriptors: exactly the Lava chain's messages.
plain = build_pool("lavanet/lava/protocol/params.proto", PKG, "proto3", [
    ("Version", VERSION_FIELDS, []),
    ("Params", [("version", 1, FDP.TYPE_MESSAGE, "." + PKG + ".Version")], []),
    ("QueryParamsResponse", [("params", 1, FDP.TYPE_MESSAGE, "." + PKG + ".Params")], []),
])
Version = cls(plain, PKG + ".Version")
Params = cls(plain, PKG + ".Params")
QueryParamsResponse = cls(plain, PKG + ".QueryParamsResponse")

# Extended descriptors: same messages with extra fields of every wire type.
EXT = "lavavisor.fixtures.ext"
ext = build_pool("lavavisor/fixtures/ext.proto", EXT, "proto3", [
    ("Extra", [("note", 1, FDP.TYPE_STRING), ("n", 2, FDP.TYPE_UINT32)], []),
    ("Version", VERSION_FIELDS + [
        ("extra_varint", 5, FDP.TYPE_UINT64),            # wire type 0
        ("extra_fixed64", 6, FDP.TYPE_FIXED64),          # wire type 1
        ("extra_string", 7, FDP.TYPE_STRING),            # wire type 2
        ("extra_fixed32", 8, FDP.TYPE_FIXED32),          # wire type 5
        ("extra_message", 9, FDP.TYPE_MESSAGE, "." + EXT + ".Extra"),  # wire type 2 (nested)
        ("extra_blob", 10, FDP.TYPE_BYTES),              # wire type 2 (large)
    ], []),
    # "Raw" wrappers: the submessage field declared as bytes, so that
    # hand-ordered Version/Params bytes are wrapped by the protobuf encoder.
    ("RawParams", [
        ("version", 1, FDP.TYPE_BYTES),
        ("extra_message", 2, FDP.TYPE_MESSAGE, "." + EXT + ".Extra"),
    ], []),
    ("RawQueryParamsResponse", [
        ("params", 1, FDP.TYPE_BYTES),
        ("extra_varint", 3, FDP.TYPE_UINT64),
    ], []),
])
Extra = cls(ext, EXT + ".Extra")
ExtVersion = cls(ext, EXT + ".Version")
RawParams = cls(ext, EXT + ".RawParams")
RawQueryParamsResponse = cls(ext, EXT + ".RawQueryParamsResponse")

# proto2 descriptor with a group field (field 11), to produce wire types 3/4.
GRP = "lavavisor.fixtures.grp"
grp = build_pool("lavavisor/fixtures/grp.proto", GRP, "proto2", [
    ("GroupVersion",
     [(n, num, t) for (n, num, t) in VERSION_FIELDS]
     + [("legacy", 11, FDP.TYPE_GROUP, "." + GRP + ".GroupVersion.Legacy")],
     [("Legacy", [("x", 1, FDP.TYPE_UINT32)], [])]),
])
GroupVersion = cls(grp, GRP + ".GroupVersion")


def ser(msg):
    return msg.SerializeToString(deterministic=True)


def wrap_version(version_bytes, params_extra=None, response_extra=0):
    """Wrap raw Version bytes into Params and QueryParamsResponse (protobuf-encoded envelopes)."""
    rp = RawParams(version=version_bytes)
    if params_extra is not None:
        rp.extra_message.CopyFrom(params_extra)
    rq = RawQueryParamsResponse(params=ser(rp), extra_varint=response_extra)
    return ser(rq)


def wrap_params(params_bytes):
    return ser(RawQueryParamsResponse(params=params_bytes))


# --------------------------------------------------------------------------
# Hand-written malformed pieces (the only bytes not produced by protobuf)
# --------------------------------------------------------------------------


def key(field, wire_type):
    k = (field << 3) | wire_type
    assert k < 0x80
    return bytes([k])


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

GENESIS = dict(provider_target="6.2.5", provider_min="5.5.1",
               consumer_target="6.2.5", consumer_min="5.5.1")
MAINNET = dict(provider_target="6.2.5", provider_min="6.2.5",
               consumer_target="6.2.5", consumer_min="6.2.5")


def normal(values):
    return ser(QueryParamsResponse(params=Params(version=Version(**values))))


def parse(data):
    m = QueryParamsResponse()
    m.ParseFromString(data)
    return m


def decoded(m):
    v = m.params.version
    return dict(provider_target=v.provider_target, provider_min=v.provider_min,
                consumer_target=v.consumer_target, consumer_min=v.consumer_min)


def python_rejects(data):
    try:
        parse(data)
    except DecodeError:
        return True
    return False


cases = []


def valid(name, description, data, expected):
    m = parse(data)
    assert m.HasField("params") and m.params.HasField("version"), name
    assert decoded(m) == expected, (name, decoded(m), expected)
    cases.append(dict(name=name, description=description,
                      base64=base64.b64encode(data).decode("ascii"),
                      expected=dict(expected)))


def invalid(name, description, data, error):
    cases.append(dict(name=name, description=description,
                      base64=base64.b64encode(data).decode("ascii"),
                      error=error))


genesis = normal(GENESIS)

# 1. genesis
valid("genesis", "Lava genesis params (targets 6.2.5, mins 5.5.1), serialized normally by protobuf.",
      genesis, GENESIS)

# 2. out_of_order: Version fields on the wire in order 4,3,2,1.
ooo_version = b"".join(ser(Version(**{f: GENESIS[f]})) for f in
                       ("consumer_min", "consumer_target", "provider_min", "provider_target"))
ooo = wrap_version(ooo_version)
assert ooo != genesis and len(ooo) == len(genesis)
valid("out_of_order", "Same values as genesis, but Version's fields appear on the wire in order 4,3,2,1 "
      "(concatenated partial Version messages).", ooo, GENESIS)

# 3. unknown_fields
unk_parts = [
    ExtVersion(extra_varint=(1 << 63) | 300),                 # 5: varint (10 bytes)
    ExtVersion(provider_target=GENESIS["provider_target"]),   # 1
    ExtVersion(extra_fixed64=0x0102030405060708),             # 6: fixed64
    ExtVersion(provider_min=GENESIS["provider_min"]),         # 2
    ExtVersion(extra_string="unknown string field"),          # 7: length-delimited
    ExtVersion(consumer_target=GENESIS["consumer_target"]),   # 3
    ExtVersion(extra_fixed32=0xDEADBEEF),                     # 8: fixed32
    ExtVersion(consumer_min=GENESIS["consumer_min"]),         # 4
    ExtVersion(extra_message=Extra(note="nested", n=42)),     # 9: nested message
]
unk_version = b"".join(ser(p) for p in unk_parts)
unk = wrap_version(unk_version, params_extra=Extra(note="params extra", n=7), response_extra=150)
# The extended descriptor sees every extra field...
ext_check = ExtVersion()
ext_check.ParseFromString(unk_version)
assert ext_check.extra_fixed32 == 0xDEADBEEF and ext_check.extra_message.n == 42
# ...and the plain one keeps them as unknown fields of the expected wire types.
try:
    from google.protobuf.unknown_fields import UnknownFieldSet
    m = parse(unk)
    got = sorted((f.field_number, f.wire_type) for f in UnknownFieldSet(m.params.version))
    assert got == [(5, 0), (6, 1), (7, 2), (8, 5), (9, 2)], got
    assert [(f.field_number, f.wire_type) for f in UnknownFieldSet(m.params)] == [(2, 2)]
    assert [(f.field_number, f.wire_type) for f in UnknownFieldSet(m)] == [(3, 0)]
except ImportError:
    pass
valid("unknown_fields", "Version carries unknown fields of every wire type interleaved with the known ones "
      "(wire order 5 varint,1,6 fixed64,2,7 string,3,8 fixed32,4,9 nested message); Params carries unknown "
      "field 2 (nested message) and QueryParamsResponse unknown field 3 (varint). Must be skipped.",
      unk, GENESIS)

# 4. repeated_version_merged: Params.version twice, merged.
rvm_params = (ser(Params(version=Version(provider_target=GENESIS["provider_target"],
                                         provider_min=GENESIS["provider_min"])))
              + ser(Params(version=Version(consumer_target=GENESIS["consumer_target"],
                                           consumer_min=GENESIS["consumer_min"]))))
valid("repeated_version_merged", "Params contains field 1 (version) twice: first with provider_target/"
      "provider_min only, second with consumer_target/consumer_min only. Protobuf merges them.",
      wrap_params(rvm_params), GENESIS)

# 5. last_string_wins
lsw_version = ser(Version(provider_target="1.0.0")) + ser(Version(**GENESIS))
valid("last_string_wins", "Version's provider_target appears twice, \"1.0.0\" then \"6.2.5\"; the last "
      "value wins. Other fields as genesis.", wrap_version(lsw_version), GENESIS)

# 6. missing_consumer_min
mcm_values = dict(GENESIS)
del mcm_values["consumer_min"]
mcm = normal(mcm_values)
assert parse(mcm).params.version.consumer_min == ""
invalid("missing_consumer_min", "Valid protobuf (python parses it), but Version has no consumer_min field.",
        mcm, "missing consumer_min")

# 7. missing_version
mv_msg = QueryParamsResponse()
mv_msg.params.SetInParent()
mv = ser(mv_msg)
assert mv == b"\x0a\x00", mv
assert parse(mv).HasField("params") and not parse(mv).params.HasField("version")
invalid("missing_version", "Valid protobuf (python parses it): QueryParamsResponse has params present but "
        "empty (no version).", mv, "missing version")

# 8. empty
assert not parse(b"").HasField("params")
invalid("empty", "Zero bytes: a valid empty QueryParamsResponse (python parses it) with no params.",
        b"", "missing params")

# 9. truncated: genesis cut in the middle of provider_target's string.
cut = genesis.index(b"6.2.5") + 2
truncated = genesis[:cut]
assert python_rejects(truncated)
invalid("truncated", "Genesis bytes cut in the middle of the first string (python raises DecodeError).",
        truncated, "truncated")

# 10. bad_wire_type: genesis + key (field 3, wire type 7).
bwt = genesis + key(3, 7)
assert python_rejects(bwt)
invalid("bad_wire_type", "Genesis bytes followed by a key with wire type 7 (python raises DecodeError).",
        bwt, "bad wire type")

# 11. length_overflow: inside a correctly-sized Version, provider_target claims 127 bytes but only 5 follow.
lo_version = key(1, 2) + bytes([127]) + b"6.2.5"
lo = wrap_version(lo_version)
assert python_rejects(lo)
invalid("length_overflow", "Envelopes (QueryParamsResponse, Params) have correct lengths, but inside Version "
        "provider_target's length prefix is 127 while only 5 bytes remain (python raises DecodeError).",
        lo, "truncated")

# 12. overlong_varint: genesis Version + key (field 5, varint) + an 11-byte varint.
overlong = bytes([0x80] * 10 + [0x01])
assert len(overlong) == 11
ov = wrap_version(ser(Version(**GENESIS)) + key(5, 0) + overlong)
assert python_rejects(ov)
invalid("overlong_varint", "Version = genesis fields followed by key field 5/varint and an 11-byte varint "
        "(10 bytes with continuation bit, then 0x01); protobuf varints are at most 10 bytes (python raises "
        "DecodeError).", ov, "bad varint")

# 13. unknown_group: Version with a proto2 group field 11 (start-group key 0x5b ... end-group 0x5c).
gv = GroupVersion(**GENESIS)
gv.legacy.x = 1
gv_bytes = ser(gv)
assert bytes([(11 << 3) | 3]) in gv_bytes and bytes([(11 << 3) | 4]) in gv_bytes
gwt = wrap_version(gv_bytes)
assert not python_rejects(gwt)
invalid("unknown_group", "Version = genesis fields plus a proto2 group field 11 (start-group key, wire type "
        "3, a varint inside, end-group key, wire type 4), encoded by protobuf. Groups are deprecated but valid "
        "wire format; no Lava or Cosmos answer has one, and lavavisor refuses them (nested groups are the one "
        "recursive part of the format: 300000 start-group keys overflowed the stack).", gwt, "group")

# 14. genesis_mainnet_like
valid("genesis_mainnet_like", "All four versions 6.2.5, serialized normally by protobuf.",
      normal(MAINNET), MAINNET)

# 15. large_unknown: unknown length-delimited field 10 (100000 bytes) before the known fields.
blob = bytes(i % 251 for i in range(100000))
lu_version = ser(ExtVersion(extra_blob=blob)) + ser(Version(**GENESIS))
assert lu_version[0] == (10 << 3) | 2
valid("large_unknown", "Version starts with an unknown length-delimited field 10 of 100000 bytes "
      "(byte i = i % 251), followed by the genesis fields. Must be skipped.",
      wrap_version(lu_version), GENESIS)

# --------------------------------------------------------------------------

out = dict(generator="python protobuf " + google.protobuf.__version__, cases=cases)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "params_fixtures.json")
with open(path, "w", encoding="utf-8", newline="\n") as fh:
    json.dump(out, fh, indent=2, ensure_ascii=True)
    fh.write("\n")
print("wrote %d cases to %s (%s)" % (len(cases), path, out["generator"]), file=sys.stderr)
