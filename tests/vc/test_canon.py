"""RDFC-1.0 canonicalization: published vectors byte for byte, escaping, numbers, and safe mode."""

from __future__ import annotations

import copy
import hashlib

import pytest

from mcbadge.vc.canon import Canonicalizer, canonicalize, canonicalize_quads, escape_literal
from mcbadge.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXTS
from mcbadge.vc.errors import CanonicalizationError

from tests.factories.credentials import rich_credential
from tests.reference_data import EDDSA, OB, VECTORS, examples_loader, ob_vector_credential, read_json


@pytest.fixture(scope="module")
def vector_canonicalizer() -> Canonicalizer:
    # The W3C example context is built on @vocab, so these vectors need it allowed.
    return Canonicalizer(examples_loader(), allow_vocab=True)


@pytest.mark.parametrize(
    "document, expected, expected_hash",
    [
        ("unsigned.json", "canonDocDataInt.txt", "docHashDataInt.txt"),
        ("proofConfigDataInt.json", "proofCanonDataInt.txt", "proofHashDataInt.txt"),
        ("employ/employmentAuth.json", "employ/canonDocDataInt.txt", "employ/docHashDataInt.txt"),
        ("employ/proofConfigDataInt.json", "employ/proofCanonDataInt.txt", "employ/proofHashDataInt.txt"),
    ],
)
def test_w3c_eddsa_vectors_byte_exact(vector_canonicalizer, document, expected, expected_hash):
    nquads = vector_canonicalizer.canonicalize(read_json(EDDSA / document))
    assert nquads == (EDDSA / expected).read_text(encoding="utf-8")
    assert hashlib.sha256(nquads.encode()).hexdigest() == (EDDSA / expected_hash).read_text().strip()


def test_ob_vector_document_byte_exact():
    assert canonicalize(ob_vector_credential()) == (OB / "document-canon.txt").read_text(encoding="utf-8")


def test_ob_vector_proof_configuration_byte_exact():
    config = {
        "@context": ob_vector_credential()["@context"],
        "type": "DataIntegrityProof",
        "created": "2010-01-01T19:23:24Z",
        "verificationMethod": "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "assertionMethod",
    }
    assert canonicalize(config) == (OB / "proof-canon.txt").read_text(encoding="utf-8")


def test_vc_examples_need_vocab_to_be_allowed_explicitly():
    with pytest.raises(CanonicalizationError, match="AlumniCredential"):
        Canonicalizer(examples_loader()).canonicalize(read_json(EDDSA / "unsigned.json"))


# -- escaping: RDFC-1.0 canonical N-Quads (and what rdf-canonize 5.0.0 writes) --------------------


@pytest.mark.parametrize(
    "raw, escaped",
    [
        ("plain é 𝄞", "plain é 𝄞"),
        ("a\u0001b", "a\\u0001b"),
        ("\b\t\n\f\r", "\\b\\t\\n\\f\\r"),
        ('"\\', '\\"\\\\'),
        ("\u007f", "\\u007F"),
        ("\u001f\u000b\u0000", "\\u001F\\u000B\\u0000"),
    ],
)
def test_literal_escaping(raw, escaped):
    assert escape_literal(raw) == escaped


def test_control_characters_reach_the_nquads_escaped():
    doc = rich_credential(text_extra="x\u0001y\u0008z\u007f")
    nquads = canonicalize(doc)
    assert "x\\u0001y\\bz\\u007F" in nquads
    assert "\u0001" not in nquads and "\u007f" not in nquads


# -- numbers: JSON-LD 1.1 §8.6 -----------------------------------------------------------------------


def _with_credits(value):
    doc = rich_credential()
    doc["credentialSubject"]["creditsEarned"] = value
    return doc


def test_integral_float_is_an_integer_like_javascript_reads_it():
    assert canonicalize(_with_credits(4.0)) == canonicalize(_with_credits(4))


def test_integer_beyond_two_to_the_53_is_refused():
    with pytest.raises(CanonicalizationError, match="2\\*\\*53"):
        canonicalize(_with_credits(2**53 + 1))


def test_nan_is_refused():
    with pytest.raises(CanonicalizationError):
        canonicalize(_with_credits(float("nan")))


# -- safe mode ----------------------------------------------------------------------------------------


def _broken(mutate):
    doc = rich_credential()
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.__setitem__("colour", "blue"), "'colour'"),
        (lambda d: d["credentialSubject"].__setitem__("favouriteFood", "x"), "'favouriteFood'"),
        (lambda d: d.__setitem__("type", [*d["type"], "MadeUpCredential"]), "'MadeUpCredential'"),
        (lambda d: d.__setitem__("id", "relative/123"), "'relative/123'"),
        (lambda d: d["credentialSubject"]["achievement"].__setitem__("id", "not an iri"), "not an iri"),
        (lambda d: d.__setitem__("@context", [*d["@context"], "https://evil.example/ctx.json"]), "not pinned"),
        (lambda d: d.__setitem__("name", {"@value": "x", "@language": "en", "@type": "xsd:string"}), "invalid JSON-LD"),
    ],
)
def test_safe_mode_refuses_data_it_would_not_cover(mutate, message):
    with pytest.raises(CanonicalizationError, match=message):
        canonicalize(_broken(mutate))


@pytest.mark.parametrize("ob_context", OB_V3P0_CONTEXTS[:2])
def test_ob_3_0_0_and_3_0_1_do_not_pair_with_vc_v2(ob_context):
    doc = ob_vector_credential()
    doc["@context"] = [CREDENTIALS_V2, ob_context]
    with pytest.raises(CanonicalizationError, match="protected term redefinition"):
        canonicalize(doc)


def test_ob_3_0_2_and_3_0_3_canonicalize_differently():
    doc = rich_credential()
    other = copy.deepcopy(doc)
    other["@context"] = [CREDENTIALS_V2, OB_V3P0_CONTEXTS[2]]
    assert canonicalize(doc) != canonicalize(other)


def test_canonicalization_does_not_mutate_the_input():
    doc = _with_credits(4.0)
    before = copy.deepcopy(doc)
    canonicalize(doc)
    assert doc == before and isinstance(doc["credentialSubject"]["creditsEarned"], float)


# -- RDFC-1.0 itself ------------------------------------------------------------------------------


def test_blank_node_labels_do_not_depend_on_input_labels():
    a = [("_:x", "<http://ex/p>", "_:y", ""), ("_:y", "<http://ex/q>", '"1"', "")]
    b = [("_:q", "<http://ex/p>", "_:r", ""), ("_:r", "<http://ex/q>", '"1"', "")]
    assert canonicalize_quads(a) == canonicalize_quads(b)


def test_symmetric_blank_nodes_need_n_degree_hashing():
    # A cycle of identical-looking blank nodes: first-degree hashes tie, so the N-degree algorithm runs.
    ring = [(f"_:n{i}", "<http://ex/next>", f"_:n{(i + 1) % 4}", "") for i in range(4)]
    shuffled = [(f"_:m{(i * 3) % 4}", "<http://ex/next>", f"_:m{((i + 1) * 3) % 4}", "") for i in range(4)]
    assert canonicalize_quads(ring) == canonicalize_quads(shuffled)
    assert canonicalize_quads(ring).count("_:c14n") == 8


def test_poison_dataset_is_cut_off():
    # A large clique of indistinguishable blank nodes makes RDFC-1.0 exponential; we must stop, not hang.
    nodes = [f"_:n{i}" for i in range(8)]
    quads = [(a, "<http://ex/p>", b, "") for a in nodes for b in nodes if a != b]
    with pytest.raises(CanonicalizationError, match="too interconnected"):
        canonicalize_quads(quads, max_work=2_000)


def test_w3c_vectors_are_present():
    assert (VECTORS / "eddsa-rdfc-2022" / "unsigned.json").exists()


def test_bare_keywords_are_not_undefined_terms():
    doc = rich_credential()
    doc["@id"] = doc.pop("id")
    doc["@type"] = doc.pop("type")
    assert canonicalize(doc) == canonicalize(rich_credential())


def test_blank_node_predicate_is_refused():
    doc = rich_credential()
    doc["@context"] = [*doc["@context"]]
    doc["_:secret"] = "x"
    with pytest.raises(CanonicalizationError):
        canonicalize(doc)


def test_duplicate_quads_collapse_before_hashing():
    quads = [("_:x", "<http://ex/p>", '"1"', ""), ("_:x", "<http://ex/p>", '"1"', ""), ("<http://ex/s>", "<http://ex/q>", "_:x", "")]
    assert canonicalize_quads(quads) == canonicalize_quads(quads[1:])
