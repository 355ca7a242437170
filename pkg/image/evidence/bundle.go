package evidence

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// BundleMediaType is the Sigstore bundle v0.3 media type: the artifact
// type of an attached bundle and the media type of its one layer.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// Bundle is a Sigstore bundle v0.3 holding a DSSE envelope, in the JSON
// form of its protobuf (camelCase names, bytes in standard base64).
// Verification material other than the key hint (certificates, log
// entries, timestamps) is kept as it came.
type Bundle struct {
	MediaType            string               `json:"mediaType"`
	VerificationMaterial VerificationMaterial `json:"verificationMaterial"`
	DSSEEnvelope         *Envelope            `json:"dsseEnvelope,omitempty"`
}

// VerificationMaterial names the key that signed (hint), or holds a
// certificate and transparency log entries.
type VerificationMaterial struct {
	PublicKey                 *PublicKeyID    `json:"publicKey,omitempty"`
	Certificate               json.RawMessage `json:"certificate,omitempty"`
	X509CertificateChain      json.RawMessage `json:"x509CertificateChain,omitempty"`
	TlogEntries               json.RawMessage `json:"tlogEntries,omitempty"`
	TimestampVerificationData json.RawMessage `json:"timestampVerificationData,omitempty"`
}

// PublicKeyID is a key's hint, see [KeyHint].
type PublicKeyID struct {
	Hint string `json:"hint"`
}

// Envelope is a DSSE envelope.
type Envelope struct {
	Payload     []byte      `json:"payload"`
	PayloadType string      `json:"payloadType"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature.
type Signature struct {
	Sig   []byte `json:"sig"`
	KeyID string `json:"keyid,omitempty"`
}

// pae is DSSE's pre-authentication encoding, what is really signed.
func pae(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// Sign signs the statement with key into a DSSE envelope in a Sigstore
// bundle that names the key by its hint, as cosign attest
// --new-bundle-format does with a key.
func Sign(s Statement, key crypto.Signer) ([]byte, error) {
	hint, err := KeyHint(key.Public())
	if err != nil {
		return nil, err
	}
	return signBundle(s, key, VerificationMaterial{PublicKey: &PublicKeyID{Hint: hint}})
}

// signBundle signs the statement with key into a DSSE envelope in a
// Sigstore bundle that carries vm, what a verifier finds the key by.
func signBundle(s Statement, key crypto.Signer, vm VerificationMaterial) ([]byte, error) {
	if len(s.Subject) == 0 {
		return nil, errors.New("signing statement: it has no subject: no image ran in the simulation")
	}
	payload, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	return signEnvelope(payload, key, vm)
}

// SignPayload signs an in-toto statement of any predicate, as encoded, the
// way [Sign] signs a test result: a DSSE envelope in a Sigstore bundle
// naming the key by its hint.
func SignPayload(payload []byte, key crypto.Signer) ([]byte, error) {
	hint, err := KeyHint(key.Public())
	if err != nil {
		return nil, err
	}
	return signEnvelope(payload, key, VerificationMaterial{PublicKey: &PublicKeyID{Hint: hint}})
}

// signEnvelope signs payload, an encoded in-toto statement, into a DSSE
// envelope in a Sigstore bundle that carries vm.
func signEnvelope(payload []byte, key crypto.Signer, vm VerificationMaterial) ([]byte, error) {
	sig, err := signPAE(key, pae(PayloadType, payload))
	if err != nil {
		return nil, fmt.Errorf("signing statement: %w", err)
	}
	b := Bundle{
		MediaType:            BundleMediaType,
		VerificationMaterial: vm,
		DSSEEnvelope:         &Envelope{Payload: payload, PayloadType: PayloadType, Signatures: []Signature{{Sig: sig}}},
	}
	out, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encoding bundle: %w", err)
	}
	return out, nil
}

func signPAE(key crypto.Signer, msg []byte) ([]byte, error) {
	switch key.Public().(type) {
	case ed25519.PublicKey:
		return key.Sign(rand.Reader, msg, crypto.Hash(0))
	case *ecdsa.PublicKey:
		h := sha256.Sum256(msg)
		return key.Sign(rand.Reader, h[:], crypto.SHA256)
	}
	return nil, fmt.Errorf("%T keys are not supported", key.Public())
}

func verifyPAE(pub crypto.PublicKey, msg, sig []byte) bool {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.Verify(k, msg, sig)
	case *ecdsa.PublicKey:
		h := sha256.Sum256(msg)
		return ecdsa.VerifyASN1(k, h[:], sig)
	}
	return false
}

// ParseBundle decodes a Sigstore bundle with a DSSE envelope.
func ParseBundle(b []byte) (Bundle, error) {
	if len(b) > maxStatementSize*2 {
		return Bundle{}, fmt.Errorf("bundle of %d bytes is larger than %d", len(b), maxStatementSize*2)
	}
	var bu Bundle
	if err := json.Unmarshal(b, &bu); err != nil {
		return Bundle{}, fmt.Errorf("decoding bundle: %w", err)
	}
	if bu.DSSEEnvelope == nil {
		return Bundle{}, errors.New("the bundle holds no DSSE envelope")
	}
	return bu, nil
}
