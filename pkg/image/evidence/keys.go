package evidence

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
)

// The PEM types of cosign's key files. cosign generate-key-pair writes an
// encrypted PKCS #8 key (scrypt and NaCl secretbox, the format of
// go-securesystemslib's encrypted package) and a PKIX public key.
const (
	pemSigstorePrivate = "ENCRYPTED SIGSTORE PRIVATE KEY"
	pemCosignPrivate   = "ENCRYPTED COSIGN PRIVATE KEY"
	pemPublic          = "PUBLIC KEY"
)

// encryptedKey is the JSON inside an encrypted cosign key's PEM block.
type encryptedKey struct {
	KDF struct {
		Name   string `json:"name"`
		Params struct {
			N int `json:"N"`
			R int `json:"r"`
			P int `json:"p"`
		} `json:"params"`
		Salt []byte `json:"salt"`
	} `json:"kdf"`
	Cipher struct {
		Name  string `json:"name"`
		Nonce []byte `json:"nonce"`
	} `json:"cipher"`
	Ciphertext []byte `json:"ciphertext"`
}

// The scrypt costs cosign's keys use (legacy, standard, OWASP). Anything
// else is refused, so a crafted key file cannot make us spend unbounded
// memory.
var scryptCosts = map[[3]int]bool{{32768, 8, 1}: true, {65536, 8, 1}: true, {131072, 8, 1}: true}

// ErrWrongPassword is returned for a key that does not open with the
// password given.
var ErrWrongPassword = errors.New("the password does not open the key (set COSIGN_PASSWORD)")

// ParsePrivateKey reads a cosign private key (cosign.key) with its
// password. Unencrypted PKCS #8 and EC keys are read too.
func ParsePrivateKey(pemBytes, password []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("reading private key: no PEM block (want a cosign.key from cosign generate-key-pair)")
	}
	var der []byte
	switch block.Type {
	case pemSigstorePrivate, pemCosignPrivate:
		var ek encryptedKey
		if err := json.Unmarshal(block.Bytes, &ek); err != nil {
			return nil, fmt.Errorf("reading private key: %w", err)
		}
		p := ek.KDF.Params
		if ek.KDF.Name != "scrypt" || ek.Cipher.Name != "nacl/secretbox" || !scryptCosts[[3]int{p.N, p.R, p.P}] {
			return nil, fmt.Errorf("reading private key: unsupported encryption %s (N=%d r=%d p=%d) with %s", ek.KDF.Name, p.N, p.R, p.P, ek.Cipher.Name)
		}
		if len(ek.Cipher.Nonce) != 24 {
			return nil, errors.New("reading private key: the nonce is not 24 bytes")
		}
		k, err := scrypt.Key(password, ek.KDF.Salt, p.N, p.R, p.P, 32)
		if err != nil {
			return nil, fmt.Errorf("reading private key: %w", err)
		}
		var key [32]byte
		var nonce [24]byte
		copy(key[:], k)
		copy(nonce[:], ek.Cipher.Nonce)
		var ok bool
		if der, ok = secretbox.Open(nil, ek.Ciphertext, &nonce, &key); !ok {
			return nil, ErrWrongPassword
		}
	case "PRIVATE KEY", "EC PRIVATE KEY":
		der = block.Bytes
	default:
		return nil, fmt.Errorf("reading private key: PEM type %q is not a cosign key", block.Type)
	}
	var k any
	var err error
	if block.Type == "EC PRIVATE KEY" {
		k, err = x509.ParseECPrivateKey(der)
	} else {
		k, err = x509.ParsePKCS8PrivateKey(der)
	}
	if err != nil {
		return nil, fmt.Errorf("reading private key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok || checkKey(s.Public()) != nil {
		return nil, fmt.Errorf("reading private key: %T keys are not supported (want ECDSA P-256 or Ed25519)", k)
	}
	return s, nil
}

// MarshalPrivateKey encrypts key with password in cosign's format
// (cosign.key), with cosign's standard scrypt cost.
func MarshalPrivateKey(key crypto.Signer, password []byte) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	var ek encryptedKey
	ek.KDF.Name, ek.Cipher.Name = "scrypt", "nacl/secretbox"
	ek.KDF.Params.N, ek.KDF.Params.R, ek.KDF.Params.P = 65536, 8, 1
	ek.KDF.Salt = make([]byte, 32)
	ek.Cipher.Nonce = make([]byte, 24)
	if _, err := rand.Read(ek.KDF.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(ek.Cipher.Nonce); err != nil {
		return nil, err
	}
	k, err := scrypt.Key(password, ek.KDF.Salt, ek.KDF.Params.N, ek.KDF.Params.R, ek.KDF.Params.P, 32)
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	var key32 [32]byte
	var nonce [24]byte
	copy(key32[:], k)
	copy(nonce[:], ek.Cipher.Nonce)
	ek.Ciphertext = secretbox.Seal(nil, der, &nonce, &key32)
	body, err := json.Marshal(ek)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemSigstorePrivate, Bytes: body}), nil
}

// GenerateKey makes an ECDSA P-256 key, the kind cosign generate-key-pair
// makes.
func GenerateKey() (crypto.Signer, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// ParsePublicKey reads a PEM public key (cosign.pub).
func ParsePublicKey(pemBytes []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != pemPublic {
		return nil, errors.New("reading public key: no PUBLIC KEY PEM block (want a cosign.pub)")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	if err := checkKey(k); err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	return k, nil
}

// MarshalPublicKey encodes k as cosign.pub does.
func MarshalPublicKey(k crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der}), nil
}

// KeyHint is the key's hint in a Sigstore bundle, as cosign writes it:
// the base64 SHA-256 of its PKIX encoding.
func KeyHint(k crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return "", fmt.Errorf("encoding public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

func checkKey(k crypto.PublicKey) error {
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return nil
		}
	case ed25519.PublicKey:
		return nil
	}
	return fmt.Errorf("%T keys other than P-256 are not supported (want ECDSA P-256 or Ed25519)", k)
}
