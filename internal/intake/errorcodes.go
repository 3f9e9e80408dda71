package intake

// The error codes the web pages' scripts can be answered with. The pages say each one in their
// reader's language (the web package's tests check every code has its text in every catalogue,
// and this package's tests check these lists hold every code the endpoints' source can answer).
var (
	// CommonErrorCodes: any endpoint behind a key, reading a body, or failing on our side.
	CommonErrorCodes = []string{"missing_api_key", "invalid_api_key", "operator_key", "rate_limited", "internal",
		"body_too_large", "body_unreadable", "body_missing", "body_invalid", "field_type", "unknown_field",
		"idempotency_key_missing", "idempotency_key_invalid", "idempotency_key_reuse", "request_in_progress"}
	// FaceErrorCodes: /v1/faces and /v1/faces/preview, besides the common ones.
	FaceErrorCodes = []string{"live_key_required", "faces_unavailable", "sheet_invalid", "sheet_unusable", "name_taken",
		"version_invalid", "face_not_found"}
	// TriggerErrorCodes: /v1/triggers…, besides the common ones (and the card checks a mapped
	// payload goes through, which the page shows as the server words them).
	TriggerErrorCodes = []string{"live_key_required", "cap_invalid", "mapping_invalid", "secret_invalid", "filter_invalid",
		"trigger_not_found", "trigger_cancelled", "trigger_paused", "trigger_capped", "payload_field_missing",
		"signature_invalid", "not_supported"}
)
