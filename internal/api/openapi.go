package api

import (
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/webhook"
	"github.com/wiredesk/wiredesk/internal/wire/ninjs"
)

// obj is a JSON object of the OpenAPI document; encoding/json writes its
// keys sorted, so the document's bytes are stable.
type obj = map[string]any

// openAPIDocument is the API's OpenAPI 3.1 description, written by hand:
// TestOpenAPIMatchesRoutes checks that it names exactly the routes served.
func openAPIDocument() obj {
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "wiredesk API",
			"version": "1",
			"description": "Stories as IPTC ninjs 2.1 objects, their stored versions, and webhook subscribers. " +
				"Published stories are public; other states and stored versions need a token with scope read:all, " +
				"webhook management a token with scope admin (`wiredesk token add NAME --scope SCOPE`).",
		},
		"paths": obj{
			"/api/openapi.json": obj{"get": obj{
				"summary":     "This document",
				"operationId": "getOpenAPI",
				"responses":   obj{"200": obj{"description": "The OpenAPI document", "content": jsonContent(obj{"type": "object"})}},
			}},
			"/api/v1/stories": obj{"get": obj{
				"summary": "List published stories, newest first, or search them",
				"description": "Pages are linked by `next`, absent on the last page. With `q`, stories are ranked by relevance. " +
					"A killed story leaves the list at once.",
				"operationId": "listStories",
				"parameters": []any{
					queryParam("section", "Only stories filed under this section", obj{"type": "string"}),
					queryParam("agency", "Only this agency's stories", obj{"type": "string"}),
					queryParam("since", "Only stories published at or after this time (RFC 3339)", obj{"type": "string", "format": "date-time"}),
					queryParam("q", "Full-text search: every word must match", obj{"type": "string"}),
					queryParam("limit", "Page size", obj{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}),
					queryParam("cursor", "Opaque position, from a `next` URL", obj{"type": "string"}),
				},
				"responses": obj{
					"200": obj{"description": "One page of stories", "content": jsonContent(ref("StoryList"))},
					"400": errorResponse("A parameter is malformed: limit, since or cursor"),
					"401": errorResponse("The bearer token is malformed, unknown or revoked"),
				},
			}},
			"/api/v1/stories/{id}": obj{"get": obj{
				"summary":     "Get a story's current version",
				"operationId": "getStory",
				"parameters":  []any{idParam("Story id")},
				"security":    optionalBearer(),
				"responses": obj{
					"200": obj{"description": "The story", "content": jsonContent(ref("Item"))},
					"400": errorResponse("The id is not a positive whole number"),
					"401": errorResponse("The bearer token is malformed, unknown or revoked"),
					"404": errorResponse("No such story, or one not published (withheld, embargoed)"),
					"410": errorResponse("The story was killed; `reason` gives the agency's or editor's notice"),
				},
			}},
			"/api/v1/stories/{id}/versions": obj{"get": obj{
				"summary":     "List every stored version of a story, oldest first",
				"operationId": "listStoryVersions",
				"parameters":  []any{idParam("Story id")},
				"security":    bearer(store.ScopeReadAll),
				"responses": obj{
					"200": obj{"description": "The versions", "content": jsonContent(ref("VersionList"))},
					"400": errorResponse("The id is not a positive whole number"),
					"401": errorResponse("No token, or a malformed, unknown or revoked one"),
					"403": errorResponse("The token's scope does not grant read:all"),
					"404": errorResponse("No such story"),
				},
			}},
			"/api/v1/webhooks": obj{
				"get": obj{
					"summary":     "List webhook subscribers",
					"operationId": "listWebhooks",
					"security":    bearer(store.ScopeAdmin),
					"responses": obj{
						"200": obj{"description": "Every subscriber", "content": jsonContent(ref("WebhookList"))},
						"401": errorResponse("No token, or a malformed, unknown or revoked one"),
						"403": errorResponse("The token's scope does not grant admin"),
					},
				},
				"post": obj{
					"summary":     "Add a webhook subscriber",
					"description": "Deliveries are signed as Standard Webhooks specifies. Without a secret, one is generated and returned once.",
					"operationId": "createWebhook",
					"security":    bearer(store.ScopeAdmin),
					"requestBody": obj{"required": true, "content": jsonContent(ref("NewWebhook"))},
					"responses": obj{
						"201": obj{"description": "The subscriber", "content": jsonContent(ref("Webhook"))},
						"400": errorResponse("The body is not a valid subscriber"),
						"401": errorResponse("No token, or a malformed, unknown or revoked one"),
						"403": errorResponse("The token's scope does not grant admin"),
						"409": errorResponse("The name is taken"),
						"413": errorResponse("The body is too large"),
					},
				},
			},
			"/api/v1/webhooks/{id}": obj{"delete": obj{
				"summary":     "Remove a webhook subscriber, its queue and its delivery log",
				"operationId": "deleteWebhook",
				"parameters":  []any{idParam("Webhook id")},
				"security":    bearer(store.ScopeAdmin),
				"responses": obj{
					"204": obj{"description": "Removed"},
					"400": errorResponse("The id is not a positive whole number"),
					"401": errorResponse("No token, or a malformed, unknown or revoked one"),
					"403": errorResponse("The token's scope does not grant admin"),
					"404": errorResponse("No such webhook"),
				},
			}},
			"/api/v1/webhooks/{id}/deliveries": obj{"get": obj{
				"summary":     "A subscriber's delivery log, newest first, with every attempt",
				"operationId": "listWebhookDeliveries",
				"parameters": []any{
					idParam("Webhook id"),
					queryParam("limit", "How many deliveries", obj{"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
				},
				"security": bearer(store.ScopeAdmin),
				"responses": obj{
					"200": obj{"description": "The log", "content": jsonContent(ref("DeliveryList"))},
					"400": errorResponse("The id or limit is malformed"),
					"401": errorResponse("No token, or a malformed, unknown or revoked one"),
					"403": errorResponse("The token's scope does not grant admin"),
					"404": errorResponse("No such webhook"),
				},
			}},
		},
		"components": obj{
			"securitySchemes": obj{
				"bearer": obj{"type": "http", "scheme": "bearer", "description": "An API token: `wiredesk token add NAME --scope read:all|admin`"},
			},
			"schemas": obj{
				"Error": obj{
					"type":     "object",
					"required": []any{"error"},
					"properties": obj{
						"error":  obj{"type": "string", "description": "What was wrong"},
						"reason": obj{"type": "string", "description": "For 410: why the story was killed"},
					},
				},
				"Item": obj{
					"description": "A ninjs 2.1 news object. wiredesk adds altids with roles " + RoleStoryID + ", " + RoleURL + " and " + RoleState + ".",
					"$ref":        ninjs.Schema21,
				},
				"StoryList": obj{
					"type":     "object",
					"required": []any{"items"},
					"properties": obj{
						"items": obj{"type": "array", "items": ref("Item")},
						"next":  obj{"type": "string", "format": "uri", "description": "The next page; absent on the last"},
					},
				},
				"Version": obj{
					"type":     "object",
					"required": []any{"version_key", "applied", "received_at", "item"},
					"properties": obj{
						"version_key":     obj{"type": "string"},
						"applied":         obj{"type": "boolean", "description": "False for a version recorded but never shown"},
						"received_at":     obj{"type": "string", "format": "date-time"},
						"delivery_sha256": obj{"type": "string", "description": "SHA-256 of the raw delivery the version came in"},
						"source":          obj{"type": "string"},
						"item":            obj{"$ref": ninjs.Schema21},
					},
				},
				"VersionList": obj{
					"type":       "object",
					"required":   []any{"items"},
					"properties": obj{"items": obj{"type": "array", "items": ref("Version")}},
				},
				"Webhook": obj{
					"type":     "object",
					"required": []any{"id", "name", "url", "events", "active", "allow_private", "created_at"},
					"properties": obj{
						"id":            obj{"type": "integer"},
						"name":          obj{"type": "string"},
						"url":           obj{"type": "string", "format": "uri"},
						"events":        eventsSchema(),
						"active":        obj{"type": "boolean"},
						"allow_private": obj{"type": "boolean"},
						"created_at":    obj{"type": "string", "format": "date-time"},
						"secret":        obj{"type": "string", "description": "Only in the answer to a POST that generated it"},
					},
				},
				"NewWebhook": obj{
					"type":                 "object",
					"required":             []any{"name", "url"},
					"additionalProperties": false,
					"properties": obj{
						"name":          obj{"type": "string", "maxLength": 100},
						"url":           obj{"type": "string", "format": "uri"},
						"secret":        obj{"type": "string", "description": "whsec_ and the base64 of a 24- to 64-byte key, or a string of at least 24 bytes; omitted, one is generated"},
						"events":        eventsSchema(),
						"active":        obj{"type": "boolean", "default": true},
						"allow_private": obj{"type": "boolean", "default": false, "description": "Let the URL reach loopback and private addresses"},
					},
				},
				"WebhookList": obj{
					"type":       "object",
					"required":   []any{"items"},
					"properties": obj{"items": obj{"type": "array", "items": ref("Webhook")}},
				},
				"Delivery": obj{
					"type":     "object",
					"required": []any{"id", "seq", "event", "story_id", "state", "attempts", "created_at"},
					"properties": obj{
						"id":              obj{"type": "integer"},
						"seq":             obj{"type": "integer", "description": "Deliveries are sent in seq order"},
						"event":           obj{"type": "string"},
						"story_id":        obj{"type": "integer"},
						"state":           obj{"type": "string", "enum": []any{store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed}},
						"attempts":        obj{"type": "array", "items": ref("Attempt")},
						"next_attempt_at": obj{"type": "string", "format": "date-time"},
						"created_at":      obj{"type": "string", "format": "date-time"},
						"finished_at":     obj{"type": "string", "format": "date-time"},
					},
				},
				"Attempt": obj{
					"type":     "object",
					"required": []any{"at", "status", "duration_ms"},
					"properties": obj{
						"at":          obj{"type": "string", "format": "date-time"},
						"status":      obj{"type": "integer", "description": "HTTP status; 0 when no answer came"},
						"error":       obj{"type": "string"},
						"duration_ms": obj{"type": "integer"},
					},
				},
				"DeliveryList": obj{
					"type":       "object",
					"required":   []any{"items"},
					"properties": obj{"items": obj{"type": "array", "items": ref("Delivery")}},
				},
			},
		},
	}
}

func ref(schema string) obj { return obj{"$ref": "#/components/schemas/" + schema} }

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func errorResponse(description string) obj {
	return obj{"description": description, "content": jsonContent(ref("Error"))}
}

func queryParam(name, description string, schema obj) obj {
	return obj{"name": name, "in": "query", "description": description, "schema": schema}
}

func idParam(description string) obj {
	return obj{"name": "id", "in": "path", "required": true, "description": description, "schema": obj{"type": "integer", "minimum": 1}}
}

// bearer requires a token with scope; OpenAPI names scopes only for OAuth,
// so the scope is said in the description.
func bearer(scope string) []any {
	return []any{obj{"bearer": []any{scope}}}
}

// optionalBearer: anyone, or a token (read:all sees every state).
func optionalBearer() []any {
	return []any{obj{}, obj{"bearer": []any{store.ScopeReadAll}}}
}

func eventsSchema() obj {
	var events []any
	for _, e := range webhook.Events {
		events = append(events, e)
	}
	return obj{"type": "array", "items": obj{"type": "string", "enum": events}, "description": "Events delivered; empty for all"}
}
