package secretscan

import (
	"strings"
	"testing"
)

// Realistic credentials, each of which must be found. None of them is
// real: they are random or the vendors' documented examples.
var secrets = map[string]string{
	"aws key id":        "AKIAIOSFODNN7EXAMPLE",
	"aws temp key id":   "ASIAY34FZKBOKMUTVV7A",
	"aws secret key":    "r7NTD5aFjZj4JBmAHa4fFSm34z3InzHIE+ZOywWe",
	"pem rsa":           "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
	"pem pkcs8":         "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----",
	"pem openssh":       "-----BEGIN OPENSSH PRIVATE KEY-----",
	"jwt":               "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
	"postgres url":      "postgres://app:s3cr3t-Pa55@db.internal:5432/orders",
	"redis url":         "redis://:hunter2hunter2@cache:6379/0",
	"github token":      "ghp_R3aLlyN0tAT0k3nButL00ksL1k30neXy",
	"slack token":       "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
	"stripe key":        "sk_live_51H8xKqLmN2pQ7rS9tUvWxYz0AbCdEf",
	"base64 32 bytes":   "q8Vb3mX1Zr7Kp0TnW4yLc9HsJd2Fg6Ae5Ru8Io+Q/Nk=",
	"random 20 chars":   "Xk9mQ2vL7pR4tZ8wB3nJ",
	"in a command line": "--api-key=Zt8Qm2Xv9Lp4Rk7Wn3Bc6Yd1",
	"google api key":    "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
	"sendgrid key":      "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",
}

// Realistic values that are not credentials and must pass.
var nonSecrets = []string{
	"http://payments.payments.svc.cluster.local:8080",
	"https://api.stripe.com/v1/payment_intents?limit=20",
	"postgres://app@db.internal:5432/orders?sslmode=verify-full",
	"postgres://app:$(DB_PASSWORD)@db.internal:5432/orders",
	"/var/lib/postgresql/data/pgdata",
	"/usr/share/nginx/html/static/assets",
	"ghcr.io/acme/checkout-service:1.24.3-alpine3.20",
	"444444444444.dkr.ecr.eu-west-1.amazonaws.com/acme/order-worker:4.1.2",
	"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	"4b825dc642cb6eb9a060e54bf8d69288fbee4904", // git SHA
	"3f2b8c1e-9a4d-4e7b-8c2d-1f0e9a8b7c6d",     // UUID
	"arn:aws:iam::111111111111:role/acme-dev-checkout",
	"arn:aws:sqs:eu-west-1:111111111111:acme-dev-orders",
	"com.acme.payments.CheckoutServiceApplication",
	"PaymentsCheckoutServiceV2Handler",
	"-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC -Dspring.profiles.active=prod",
	"Europe/Amsterdam",
	"en_US.UTF-8",
	"info",
	"eu-west-1a,eu-west-1b,eu-west-1c",
	"kafka-0.kafka-headless.streaming.svc.cluster.local:9092",
	"payments-config-7g8h9k2m5t",
	"OrderCreatedV1,OrderPaidV2,OrderShippedV3",
	"checkout-service-canary-2024-06-01",
	"dd.trace.sample.rate=0.25",
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A", // could be a public key: see opt-out
	"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
	"app.kubernetes.io/name=checkout,app.kubernetes.io/part-of=acme",
	"max-age=31536000; includeSubDomains; preload",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
	"s3://acme-dev-receipts/2024/06/",
	"--listen-address=0.0.0.0:8080",
	"AllowScopedEC2InstanceAccessActions", // IAM statement ids
	"AllowScopedInstanceProfileCreationActions",
	"xoxo-gossip-girl",
}

func TestEverySecretIsFound(t *testing.T) {
	for name, v := range secrets {
		if f, ok := Value(v); !ok {
			t.Errorf("%s: %q not recognised", name, v)
		} else if !strings.Contains(v, f.Match) {
			t.Errorf("%s: match %q is not part of the value", name, f.Match)
		}
	}
}

func TestNonSecretsPass(t *testing.T) {
	for _, v := range nonSecrets {
		if f, ok := Value(v); ok {
			t.Errorf("%q flagged as %s (%q)", v, f.Kind, f.Match)
		}
	}
}

func TestNames(t *testing.T) {
	for _, n := range []string{"DB_PASSWORD", "STRIPE_API_KEY", "github_token", "JWT_SECRET", "GOOGLE_APPLICATION_CREDENTIALS", "TLS_PRIVATE_KEY", "AWS_SECRET_ACCESS_KEY", "MYSQL_PWD", "SECRET"} {
		if _, ok := Name(n); !ok {
			t.Errorf("%s not recognised as a secret name", n)
		}
	}
	for _, n := range []string{"PWD", "LOG_LEVEL", "DATABASE_HOST", "DB_PASSWORD_FILE", "OAUTH_TOKEN_URL", "SECRET_NAME", "TOKEN_TTL", "KEYCLOAK_REALM", "PAYMENTS_URL"} {
		if w, ok := Name(n); ok {
			t.Errorf("%s recognised as a secret name (%s)", n, w)
		}
	}
}

func TestLiteral(t *testing.T) {
	for v, want := range map[string]bool{"hunter2": true, "": false, "true": false, "False": false, "$(DB_PASSWORD)": false, "x$(A)": true} {
		if got := Literal(v); got != want {
			t.Errorf("Literal(%q) = %v, want %v", v, got, want)
		}
	}
}
