"""OPA bundles: build, round trip (SDN list included), OPA's canonical file hashes, signing and
every way a signed bundle can be tampered with, and loading from a directory, file or URL."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from governance.cli import main as cli_main
from governance.policy.bundle import (
    BundleError,
    BundleFile,
    build_bundle,
    fetch_bundle,
    file_hash,
    load_policy_source_any,
    load_verification_key,
    pack,
    read_bundle,
    sign_bundle,
    unpack,
)
from governance.policy.engine import EmbeddedEngine, decide_sync
from governance.policy.source import load_policy_source
from tests.policy.conftest import (
    MAIN_REGO,
    SANCTIONED,
    BundleHost,
    private_pem,
    public_pem,
    rsa_key,
    write_policy_tree,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_policy_tree(tmp_path / "policies")


@pytest.fixture(scope="module")
def signer() -> rsa.RSAPrivateKey:
    return rsa_key()


def names(raw: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        return tar.getnames()


def replace_file(raw: bytes, name: str, data: bytes | None) -> bytes:
    """Rewrites one file of a bundle (None removes it), keeping everything else."""
    files = [f for f in unpack(raw) if f.name != name]
    if data is not None:
        files.append(BundleFile(name, data))
    return pack(files)


# ---- build and round trip ----------------------------------------------------------------


def test_build_layout_follows_opa_bundle_format(tree: Path) -> None:
    raw = build_bundle(load_policy_source(tree), revision="r-42")
    entries = names(raw)
    assert entries[0] == "/.manifest"
    assert "/governance/main.rego" in entries
    assert "/lib/checks_test.rego" in entries
    for doc in ("entities", "jurisdictions", "rates", "sanctions"):
        assert f"/reference/{doc}/data.json" in entries
    manifest = json.loads(unpack(raw)[0].data)
    assert manifest == {"revision": "r-42", "roots": ["governance", "reference"]}


def test_round_trip_keeps_modules_tests_data_and_sdn(tree: Path) -> None:
    source = load_policy_source(tree)
    back = read_bundle(build_bundle(source, revision="v7"))
    assert back.revision == "v7"
    assert back.modules == source.modules
    assert back.tests == source.tests
    assert back.data == source.data
    assert back.data["reference"]["sanctions"][SANCTIONED]["name"] == "LAZARUS TEST"


def test_bundle_decides_like_the_directory(tree: Path) -> None:
    policy_input = {
        "subject": {"kyc": "verified", "jurisdiction": "US"},
        "tx": None,
        "parties": {"recipient": {"address": SANCTIONED, "sanctioned": True}},
    }
    direct = EmbeddedEngine("regorus", load_policy_source(tree)).snapshot()
    bundled = EmbeddedEngine("regorus", read_bundle(build_bundle(load_policy_source(tree))))
    assert decide_sync(direct, policy_input) == decide_sync(bundled.snapshot(), policy_input)
    assert [r.code for r in decide_sync(direct, policy_input).reasons] == ["SANCTIONED_PARTY"]


def test_build_is_deterministic_and_default_revision_is_content_hash(tree: Path) -> None:
    source = load_policy_source(tree)
    assert build_bundle(source) == build_bundle(source)
    assert read_bundle(build_bundle(source)).revision == source.revision


def test_shipped_tree_round_trips_with_sanctions() -> None:
    shipped = ROOT / "policies"
    if not (shipped / "governance" / "main.rego").is_file():
        pytest.skip("shipped policy tree not present")
    source = load_policy_source(shipped)
    back = read_bundle(build_bundle(source))
    assert back.data == source.data
    assert back.data["reference"]["sanctions"], "the SDN list must survive the round trip"
    assert sorted(back.modules) == sorted(source.modules)


def test_cli_build_sign_verify(
    tree: Path, tmp_path: Path, signer: rsa.RSAPrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    key_file, pub_file = tmp_path / "k.pem", tmp_path / "k.pub"
    key_file.write_bytes(private_pem(signer))
    pub_file.write_text(public_pem(signer))
    assert cli_main(["policy", "build", str(tree), "-o", str(bundle), "--revision", "rel-1"]) == 0
    assert cli_main(["policy", "verify", str(bundle), "--key", str(pub_file)]) == 1
    assert "not signed" in capsys.readouterr().err
    assert cli_main(["policy", "sign", str(bundle), "--key", str(key_file), "--alg", "RS256"]) == 0
    assert cli_main(["policy", "verify", str(bundle), "--key", str(pub_file)]) == 0
    assert "revision rel-1" in capsys.readouterr().out


# ---- OPA's hashing -------------------------------------------------------------------------


def test_json_hash_is_opa_canonical_form() -> None:
    # OPA hashes data.json as Go's compact, key-sorted encoding without HTML escaping, with
    # numbers as written: whitespace and key order must not matter, number text must.
    text = '{ "b": [1, 2.50, {"y": null, "x": true}],\n  "a": "<&> \\u00e9\\n" }'
    expected = hashlib.sha256(
        '{"a":"<&> é\\n","b":[1,2.50,{"x":true,"y":null}]}'.encode()
    ).hexdigest()
    assert file_hash(BundleFile("x/data.json", text.encode())) == expected
    reordered = '{"a":"<&> é\\n","b":[1,2.50,{"x":true,"y":null}]}'
    assert file_hash(BundleFile("x/data.json", reordered.encode())) == expected
    assert file_hash(BundleFile("x/data.json", text.replace("2.50", "2.5").encode())) != expected


def test_rego_hash_is_raw_bytes() -> None:
    body = b"package x\n"
    assert file_hash(BundleFile("x.rego", body)) == hashlib.sha256(body).hexdigest()


# ---- signing and verification --------------------------------------------------------------


def test_signature_payload_is_opa_format(tree: Path, signer: rsa.RSAPrivateKey) -> None:
    raw = sign_bundle(
        build_bundle(load_policy_source(tree)),
        private_pem(signer),
        "RS256",
        keyid="global",
        scope="write",
    )
    sig = next(f for f in unpack(raw) if f.name == ".signatures.json")
    token = json.loads(sig.data)["signatures"][0]
    assert jwt.get_unverified_header(token)["kid"] == "global"
    payload = jwt.decode(token, signer.public_key(), algorithms=["RS256"])
    assert payload["keyid"] == "global" and payload["scope"] == "write"
    listed = {f["name"]: f for f in payload["files"]}
    content = [f for f in unpack(raw) if f.name != ".signatures.json"]
    assert set(listed) == {f.name for f in content}
    for f in content:
        assert listed[f.name]["algorithm"] == "SHA-256"
        assert listed[f.name]["hash"] == file_hash(f)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_signed_bundle_verifies(tree: Path, kind: str) -> None:
    key = rsa_key() if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
    raw = sign_bundle(build_bundle(load_policy_source(tree), "v1"), private_pem(key))
    source = read_bundle(raw, load_verification_key(public_pem(key)))
    assert source.revision == "v1"


def test_unsigned_bundle_refused_when_key_configured(tree: Path, signer: rsa.RSAPrivateKey) -> None:
    with pytest.raises(BundleError, match="not signed"):
        key = load_verification_key(public_pem(signer))
        read_bundle(build_bundle(load_policy_source(tree)), key)


def test_wrong_key_refused(tree: Path, signer: rsa.RSAPrivateKey) -> None:
    raw = sign_bundle(build_bundle(load_policy_source(tree)), private_pem(signer))
    with pytest.raises(BundleError, match="signature invalid"):
        read_bundle(raw, load_verification_key(public_pem(rsa_key())))


def test_algorithm_must_match_the_key(tree: Path, signer: rsa.RSAPrivateKey) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    raw = sign_bundle(build_bundle(load_policy_source(tree)), private_pem(ec_key))
    with pytest.raises(BundleError, match="signed with ES256"):
        read_bundle(raw, load_verification_key(public_pem(signer)))
    with pytest.raises(BundleError, match="for RS256, not ES256"):
        sign_bundle(raw, private_pem(signer), "ES256")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("governance/main.rego", MAIN_REGO.replace("== 0", ">= 0").encode(), "digest mismatch"),
        ("reference/jurisdictions/data.json", b'{"US": {"max_usd": 1e12}}', "digest mismatch"),
        (
            ".manifest",
            b'{"revision": "forged", "roots": ["governance", "reference"]}',
            "digest mismatch",
        ),
        ("governance/extra.rego", b"package governance.extra\n", "not included"),
        ("reference/sanctions/data.json", None, "missing from the bundle"),
    ],
)
def test_tampering_is_refused(
    tree: Path, signer: rsa.RSAPrivateKey, name: str, data: bytes | None, message: str
) -> None:
    signed = sign_bundle(build_bundle(load_policy_source(tree)), private_pem(signer))
    key = load_verification_key(public_pem(signer))
    read_bundle(signed, key)  # intact: accepted
    with pytest.raises(BundleError, match=message):
        read_bundle(replace_file(signed, name, data), key)


def test_reformatted_json_keeps_its_signature(tree: Path, signer: rsa.RSAPrivateKey) -> None:
    # OPA hashes JSON semantically: re-indenting a data file is not tampering.
    signed = sign_bundle(build_bundle(load_policy_source(tree)), private_pem(signer))
    name = "reference/rates/data.json"
    original = next(f for f in unpack(signed) if f.name == name)
    compact = json.dumps(json.loads(original.data), separators=(",", ":")).encode()
    key = load_verification_key(public_pem(signer))
    source = read_bundle(replace_file(signed, name, compact), key)
    assert source.data["reference"]["rates"]["ETH"] == 3000.0


def test_two_signatures_or_garbage_refused(tree: Path, signer: rsa.RSAPrivateKey) -> None:
    signed = sign_bundle(build_bundle(load_policy_source(tree)), private_pem(signer))
    key = load_verification_key(public_pem(signer))
    token = json.loads(next(f for f in unpack(signed) if f.name == ".signatures.json").data)
    doubled = json.dumps({"signatures": token["signatures"] * 2}).encode()
    with pytest.raises(BundleError, match="exactly one JWT"):
        read_bundle(replace_file(signed, ".signatures.json", doubled), key)
    with pytest.raises(BundleError, match="invalid JSON"):
        read_bundle(replace_file(signed, ".signatures.json", b"{"), key)


# ---- malformed bundles ---------------------------------------------------------------------


def test_not_a_bundle_and_duplicates_refused(tree: Path) -> None:
    with pytest.raises(BundleError, match="not a gzipped tar"):
        read_bundle(b"plain text")
    raw = build_bundle(load_policy_source(tree))
    files = unpack(raw)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for f in [*files, files[1]]:
            info = tarfile.TarInfo(f.name)
            info.size = len(f.data)
            tar.addfile(info, io.BytesIO(f.data))
    with pytest.raises(BundleError, match="twice"):
        read_bundle(buffer.getvalue())


def test_package_outside_roots_refused(tree: Path) -> None:
    raw = build_bundle(load_policy_source(tree))
    rogue = replace_file(raw, "other/x.rego", b"package other.x\n")
    with pytest.raises(BundleError, match="outside the manifest roots"):
        read_bundle(rogue)


def test_symlink_member_refused() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("governance/main.rego")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(BundleError, match="regular files only"):
        read_bundle(buffer.getvalue())


# ---- locations -----------------------------------------------------------------------------


def test_load_any_directory_file_and_key_rules(
    tree: Path, tmp_path: Path, signer: rsa.RSAPrivateKey
) -> None:
    key = load_verification_key(public_pem(signer))
    assert load_policy_source_any(tree).revision == load_policy_source(tree).revision
    with pytest.raises(BundleError, match="is a directory"):
        load_policy_source_any(tree, key)
    path = tmp_path / "b.tar.gz"
    path.write_bytes(sign_bundle(build_bundle(load_policy_source(tree), "f1"), private_pem(signer)))
    assert load_policy_source_any(path, key).revision == "f1"
    assert load_policy_source_any(str(path)).revision == "f1"


@pytest.fixture
def bundle_url(tree: Path, bundle_host: BundleHost) -> str:
    bundle_host.serve(build_bundle(load_policy_source(tree), "url-1"), '"v1"')
    return bundle_host.url


def test_url_fetch_with_etag(bundle_url: str, bundle_host: BundleHost) -> None:
    assert load_policy_source_any(bundle_url).revision == "url-1"
    first = fetch_bundle(bundle_url)
    assert first.raw and first.etag == '"v1"'
    assert fetch_bundle(bundle_url, first.etag).raw is None  # 304
    assert bundle_host.requests[-1] == '"v1"'


def test_url_errors_are_bundle_errors(bundle_url: str) -> None:
    with pytest.raises(BundleError, match="cannot fetch"):
        fetch_bundle("http://127.0.0.1:1/none.tar.gz")


@pytest.mark.parametrize("url", ["http://10.255.255.1/b.tar.gz", "http://bundles.example/b.tar.gz"])
def test_plain_http_fetch_refused_before_connecting(url: str) -> None:
    with pytest.raises(BundleError, match="plain http:// is refused"):
        fetch_bundle(url)
    with pytest.raises(BundleError, match="plain http:// is refused"):
        load_policy_source_any(url)
