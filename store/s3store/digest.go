package s3store

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// metaDigest is the user-metadata key (x-amz-meta-sha256) under which Put
// stores the lower-case hex SHA-256 of the whole content.
const metaDigest = "sha256"

// digestOf returns the content digest ("sha256:<hex>") of an object from
// what S3 reports about it, or "" when it reports no SHA-256 of the whole
// content.
//
// A full-object x-amz-checksum-sha256 comes first: S3 checked it against
// the bytes on upload. A multipart upload's checksum is a checksum of the
// parts' checksums ("...-N", type COMPOSITE), which is not the content's
// digest, so then the x-amz-meta-sha256 that Put stored is used. An object
// uploaded by another tool without a SHA-256 checksum has neither; callers
// that need a digest then read the object and hash it.
func digestOf(checksumSHA256 *string, checksumType types.ChecksumType, meta map[string]string) string {
	if c := aws.ToString(checksumSHA256); c != "" && checksumType != types.ChecksumTypeComposite && !strings.Contains(c, "-") {
		if sum, err := base64.StdEncoding.DecodeString(c); err == nil && len(sum) == 32 {
			return "sha256:" + hex.EncodeToString(sum)
		}
	}
	for k, v := range meta {
		if strings.EqualFold(k, metaDigest) && validHexSHA256(v) {
			return "sha256:" + strings.ToLower(v)
		}
	}
	return ""
}

func validHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
