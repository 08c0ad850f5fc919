//! The OpenAPI 3.1 description of every `/_api` endpoint, served at `/_api/openapi.json`.
//! Paths and methods come from `routes::ROUTES` (the table the dispatcher's gate uses);
//! this file adds what each operation takes and returns. Every operation documents its
//! success responses and a `default` JSON error (`{error, status}`).

use serde_json::{json, Map, Value as J};

use super::routes::ROUTES;

fn err() -> J {
    json!({ "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn ok_json(desc: &str, schema: J) -> J {
    json!({ "description": desc, "content": { "application/json": { "schema": schema } } })
}

fn schema(name: &str) -> J {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn q(name: &str, desc: &str, s: J) -> J {
    json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": s })
}

fn path_param(name: &str, desc: &str) -> J {
    json!({ "name": name, "in": "path", "required": true, "description": desc, "schema": { "type": "string", "minLength": 1 } })
}

fn json_body(s: J) -> J {
    json!({ "required": true, "content": { "application/json": { "schema": s } } })
}

fn header(name: &str, desc: &str) -> J {
    json!({ "name": name, "in": "header", "required": false, "description": desc, "schema": { "type": "string" } })
}

fn paging() -> Vec<J> {
    vec![
        q(
            "limit",
            "Page size (1-1000).",
            json!({ "type": "integer", "minimum": 1, "maximum": 1000 }),
        ),
        q(
            "offset",
            "Rows to skip.",
            json!({ "type": "integer", "minimum": 0 }),
        ),
    ]
}

fn page_of(item: J) -> J {
    json!({ "type": "object", "required": ["data"], "properties": {
        "data": { "type": "array", "items": item },
        "limit": { "type": "integer" }, "offset": { "type": "integer" } } })
}

/// An operation's summary, parameters, request body and success responses.
type Operation = (&'static str, Vec<J>, Option<J>, Vec<(&'static str, J)>);

/// The description of operation `op` (empty summary: unknown).
fn operation(op: &str) -> Operation {
    let id = || path_param("id", "Document id; `/` as is or as %2F.");
    let cred = json!({ "type": "object", "required": ["username", "password"],
        "properties": { "username": { "type": "string" }, "password": { "type": "string" }, "email": { "type": "string" } } });
    let session = ok_json("Signed in", schema("Session"));
    let row = json!({ "type": "object" });
    let list_rows = ok_json("Rows", page_of(row.clone()));
    let created_id = ok_json(
        "Created",
        json!({ "type": "object", "properties": { "id": { "type": "integer" } } }),
    );
    let no_content = json!({ "description": "Done" });
    let writes = || {
        vec![
            header(
                "If-Match",
                "ETag(s) the document must have (412 otherwise).",
            ),
            header(
                "If-None-Match",
                "`*`: the document must not exist (412 otherwise).",
            ),
        ]
    };
    let env = ok_json("Document envelope", schema("Document"));
    match op {
        "register" => (
            "Create an account and sign in",
            vec![],
            Some(json_body(cred)),
            vec![("201", session)],
        ),
        "login" => (
            "Sign in",
            vec![],
            Some(json_body(cred)),
            vec![("200", session)],
        ),
        "logout" => (
            "Sign out (revokes the session)",
            vec![],
            None,
            vec![("204", no_content)],
        ),
        "me" => (
            "The signed-in user",
            vec![],
            None,
            vec![(
                "200",
                ok_json(
                    "User",
                    json!({ "type": "object", "properties": { "user": schema("User") } }),
                ),
            )],
        ),
        "openapi" => (
            "This document",
            vec![],
            None,
            vec![("200", ok_json("OpenAPI 3.1", json!({ "type": "object" })))],
        ),
        "listRows" => (
            "List rows of an app table (as the caller: permissions and row policies apply)",
            vec![
                path_param("table", "App table"),
                q("_limit", "Page size", json!({ "type": "integer" })),
                q("_offset", "Rows to skip", json!({ "type": "integer" })),
                q(
                    "_sort",
                    "Columns, `-` for descending",
                    json!({ "type": "string" }),
                ),
            ],
            None,
            vec![("200", list_rows)],
        ),
        "insertRow" => (
            "Insert a row",
            vec![path_param("table", "App table")],
            Some(json_body(row.clone())),
            vec![("201", ok_json("Row", row.clone()))],
        ),
        "getRow" => (
            "Read a row by primary key",
            vec![
                path_param("table", "App table"),
                path_param("key", "Primary key"),
            ],
            None,
            vec![("200", ok_json("Row", row.clone()))],
        ),
        "updateRow" => (
            "Update a row",
            vec![
                path_param("table", "App table"),
                path_param("key", "Primary key"),
            ],
            Some(json_body(row.clone())),
            vec![("200", ok_json("Row", row.clone())), ("204", no_content)],
        ),
        "deleteRow" => (
            "Delete a row",
            vec![
                path_param("table", "App table"),
                path_param("key", "Primary key"),
            ],
            None,
            vec![("204", no_content)],
        ),
        "listUsers" => (
            "List users (owner/admin)",
            paging(),
            None,
            vec![("200", list_rows)],
        ),
        "createUser" => (
            "Create a user (owner/admin)",
            vec![],
            Some(json_body(cred)),
            vec![("201", ok_json("User", schema("User")))],
        ),
        "deleteUser" => (
            "Delete a user (owner/admin)",
            vec![path_param("uid", "User id")],
            None,
            vec![("204", no_content)],
        ),
        "listPermissions" => (
            "List table permissions (owner/admin)",
            paging(),
            None,
            vec![("200", list_rows)],
        ),
        "grantPermission" => (
            "Grant table permissions to a role or user (owner/admin)",
            vec![],
            Some(json_body(
                json!({ "type": "object", "required": ["table"], "properties": {
                "table": { "type": "string" }, "role": { "type": "string" }, "user_id": { "type": "integer" },
                "select": { "type": "boolean" }, "insert": { "type": "boolean" }, "update": { "type": "boolean" }, "delete": { "type": "boolean" } } }),
            )),
            vec![("201", created_id)],
        ),
        "revokePermission" => (
            "Revoke a permission (owner/admin)",
            vec![path_param("pid", "Permission id")],
            None,
            vec![("204", no_content)],
        ),
        "listPolicies" => (
            "List row policies (owner/admin)",
            paging(),
            None,
            vec![("200", list_rows)],
        ),
        "createPolicy" => (
            "Create a row policy (owner/admin)",
            vec![],
            Some(json_body(
                json!({ "type": "object", "required": ["table", "name", "role", "condition"], "properties": {
                "table": { "type": "string" }, "name": { "type": "string" }, "role": { "type": "string" },
                "operation": { "type": "string", "enum": ["SELECT", "INSERT", "UPDATE", "DELETE"] }, "condition": { "type": "string" } } }),
            )),
            vec![("201", created_id)],
        ),
        "deletePolicy" => (
            "Delete a row policy (owner/admin)",
            vec![path_param("pid", "Policy id")],
            None,
            vec![("204", no_content)],
        ),
        "listTemplates" => (
            "The henv's template files: `*.ejs`, and every file under `views/` (owner/admin)",
            vec![],
            None,
            vec![(
                "200",
                ok_json(
                    "Templates",
                    json!({ "type": "object", "properties": { "templates": { "type": "array", "items": {
                        "type": "object", "properties": { "path": { "type": "string" }, "hash": { "type": "string" },
                        "size": { "type": "integer" }, "modified_at": { "type": "integer" }, "engine": { "type": "string" } } } } } }),
                ),
            )],
        ),
        "previewTemplate" => (
            "Render an EJS template file or source string with JSON data, in the henv's runtime under the request deadline (owner/admin)",
            vec![],
            Some(json_body(json!({ "type": "object", "properties": {
                "source": { "type": "string", "description": "EJS source (or give `file`)" },
                "file": { "type": "string", "description": "A template path, e.g. views/index.ejs" },
                "data": { "type": "object" } } }))),
            vec![
                ("200", ok_json("Rendered", json!({ "type": "object", "properties": { "html": { "type": "string" } } }))),
                ("422", ok_json("Template error (file, line, column, EJS's message)", json!({ "type": "object" }))),
            ],
        ),
        "listAudit" => (
            "The audit log, newest first (owner/admin)",
            paging(),
            None,
            vec![("200", list_rows)],
        ),
        "listDocuments" => {
            let mut p = vec![
                q(
                    "prefix",
                    "Only ids starting with this",
                    json!({ "type": "string" }),
                ),
                q(
                    "tag",
                    "Only documents with this tag or one under it",
                    json!({ "type": "string" }),
                ),
                q(
                    "type",
                    "Only this content type (`text/*` for a family)",
                    json!({ "type": "string" }),
                ),
                q(
                    "sort",
                    "Order by",
                    json!({ "type": "string", "enum": ["id", "modified_at", "created_at"] }),
                ),
                q(
                    "order",
                    "Direction",
                    json!({ "type": "string", "enum": ["asc", "desc"] }),
                ),
                q(
                    "cursor",
                    "`next_cursor` of the previous page",
                    json!({ "type": "string" }),
                ),
            ];
            p.extend(paging());
            (
                "List documents (metadata)",
                p,
                None,
                vec![(
                    "200",
                    ok_json(
                        "A page",
                        json!({ "type": "object", "required": ["data"], "properties": {
                "data": { "type": "array", "items": schema("Document") }, "limit": { "type": "integer" }, "offset": { "type": "integer" },
                "next_cursor": { "type": ["string", "null"] } } }),
                    ),
                )],
            )
        }
        "searchDocuments" => {
            let mut p = vec![
                json!({ "name": "q", "in": "query", "required": true, "description": "Words, `pre*`, `\"a phrase\"`, AND, OR, NOT, ( ), title:, text:", "schema": { "type": "string" } }),
                q(
                    "tag",
                    "Only documents with this tag or one under it",
                    json!({ "type": "string" }),
                ),
                q(
                    "type",
                    "Only this content type",
                    json!({ "type": "string" }),
                ),
                q(
                    "prefix",
                    "Only ids starting with this",
                    json!({ "type": "string" }),
                ),
                q(
                    "highlight",
                    "Tag name (mark) or `open,close` markup around matches",
                    json!({ "type": "string" }),
                ),
                q(
                    "escape",
                    "`none`: do not HTML-escape snippets",
                    json!({ "type": "string", "enum": ["html", "none"] }),
                ),
                q(
                    "snippet_tokens",
                    "Tokens per snippet",
                    json!({ "type": "integer", "minimum": 1, "maximum": 64 }),
                ),
            ];
            p.extend(paging());
            (
                "Full-text search (bm25; title above text)",
                p,
                None,
                vec![(
                    "200",
                    ok_json(
                        "Hits",
                        json!({ "type": "object", "required": ["total", "data"], "properties": {
                "q": { "type": "string" }, "total": { "type": "integer" }, "limit": { "type": "integer" }, "offset": { "type": "integer" },
                "data": { "type": "array", "items": schema("Hit") } } }),
                    ),
                )],
            )
        }
        "listEdges" => (
            "Neighbours by relation",
            vec![
                id(),
                q(
                    "direction",
                    "Edges to follow",
                    json!({ "type": "string", "enum": ["out", "in", "both"] }),
                ),
                q("rel", "Only this relation", json!({ "type": "string" })),
            ],
            None,
            vec![(
                "200",
                ok_json(
                    "Neighbours",
                    json!({ "type": "object", "properties": { "id": { "type": "string" }, "data": { "type": "array", "items": { "type": "object" } } } }),
                ),
            )],
        ),
        "addEdge" => (
            "Add an edge from this document",
            vec![id()],
            Some(json_body(
                json!({ "type": "object", "required": ["to", "rel"], "properties": {
                "to": { "type": "string" }, "rel": { "type": "string" }, "props": { "type": "object" } } }),
            )),
            vec![("201", ok_json("Edge", schema("Edge")))],
        ),
        "removeEdges" => (
            "Remove edges from this document",
            vec![
                id(),
                q(
                    "to",
                    "Only edges to this document",
                    json!({ "type": "string" }),
                ),
                q("rel", "Only this relation", json!({ "type": "string" })),
            ],
            None,
            vec![(
                "200",
                ok_json(
                    "Removed",
                    json!({ "type": "object", "properties": { "deleted": { "type": "integer" } } }),
                ),
            )],
        ),
        "traverse" => (
            "Traverse the graph to a depth",
            vec![
                id(),
                q(
                    "depth",
                    "Edges to follow (0-16)",
                    json!({ "type": "integer", "minimum": 0, "maximum": 16 }),
                ),
                q(
                    "direction",
                    "Edges to follow",
                    json!({ "type": "string", "enum": ["out", "in", "both"] }),
                ),
                q("rel", "Only this relation", json!({ "type": "string" })),
            ],
            None,
            vec![(
                "200",
                ok_json(
                    "Nodes and edges",
                    json!({ "type": "object", "required": ["nodes", "edges"], "properties": {
                "nodes": { "type": "array", "items": { "type": "object" } }, "edges": { "type": "array", "items": schema("Edge") } } }),
                ),
            )],
        ),
        "getDocument" => {
            let mut p = vec![
                id(),
                q(
                    "meta",
                    "`1`: the JSON envelope",
                    json!({ "type": "string" }),
                ),
                header("If-None-Match", "ETag for a 304"),
            ];
            p.push(header("Accept", "`application/json`: the JSON envelope"));
            (
                "Read a document: its content with its type, or the envelope",
                p,
                None,
                vec![
                    (
                        "200",
                        json!({ "description": "The content as stored (any type), or the envelope", "content": { "*/*": { "schema": {} } } }),
                    ),
                    ("304", json!({ "description": "Not modified" })),
                ],
            )
        }
        "putDocument" => {
            let mut p = vec![
                id(),
                q(
                    "tags",
                    "Comma-separated tags (replaces the list)",
                    json!({ "type": "string" }),
                ),
            ];
            p.extend(writes());
            (
                "Create or replace a document: the body is the content, its Content-Type the type",
                p,
                Some(json!({ "required": true, "content": { "*/*": { "schema": {} } } })),
                vec![("200", env.clone()), ("201", env.clone())],
            )
        }
        "patchDocument" => {
            let mut p = vec![id()];
            p.extend(writes());
            (
                "Patch a document: merge patch of JSON content, or {content, meta, tags, type}",
                p,
                Some(json!({ "required": true, "content": {
                "application/merge-patch+json": { "schema": {} },
                "application/json": { "schema": { "type": "object", "properties": {
                    "content": {}, "meta": { "type": "object" }, "tags": { "type": "array", "items": { "type": "string" } }, "type": { "type": "string" } } } } } })),
                vec![("200", env)],
            )
        }
        "deleteDocument" => {
            let mut p = vec![id()];
            p.extend(writes());
            (
                "Delete a document (and its edges and tags)",
                p,
                None,
                vec![("204", no_content)],
            )
        }
        "setupStatus" => (
            "Whether the henv still needs its owner created (first run)",
            vec![],
            None,
            vec![(
                "200",
                ok_json(
                    "Status",
                    json!({ "type": "object", "properties": { "needed": { "type": "boolean" } } }),
                ),
            )],
        ),
        "setupOwner" => (
            "Create the owner with the one-time setup token printed by hbf serve / hbf init",
            vec![],
            Some(json_body(
                json!({ "type": "object", "required": ["token", "username", "password"], "properties": {
                "token": { "type": "string" }, "username": { "type": "string" }, "password": { "type": "string" } } }),
            )),
            vec![("201", ok_json("The owner", schema("User")))],
        ),
        "listFiles" => (
            "The henv's files (owner/admin)",
            vec![],
            None,
            vec![("200", ok_json("Files", page_of(json!({ "type": "object" }))))],
        ),
        "readFile" => (
            "A file's content (owner/admin)",
            vec![path_param("path", "File path, e.g. server.js or www/logo.png")],
            None,
            vec![("200", json!({ "description": "The file's bytes" }))],
        ),
        "writeFile" => (
            "Create or replace a file; JavaScript and JSON are compiled first (422 with file, line, col on a syntax error); node_modules is read-only",
            vec![path_param("path", "File path")],
            Some(json!({ "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } })),
            vec![("200", ok_json("Saved", json!({ "type": "object" })))],
        ),
        "deleteFile" => (
            "Delete a file (kept in its history)",
            vec![path_param("path", "File path")],
            None,
            vec![("204", no_content.clone())],
        ),
        "renameFile" => (
            "Rename a file",
            vec![],
            Some(json_body(
                json!({ "type": "object", "required": ["from", "to"], "properties": {
                "from": { "type": "string" }, "to": { "type": "string" } } }),
            )),
            vec![("200", ok_json("Renamed", json!({ "type": "object" })))],
        ),
        "listFileHistory" => (
            "Earlier versions of a file, newest first",
            vec![q("path", "File path", json!({ "type": "string" }))],
            None,
            vec![("200", ok_json("Versions", page_of(json!({ "type": "object" }))))],
        ),
        "readFileVersion" => (
            "An earlier version's content",
            vec![path_param("hid", "Version id")],
            None,
            vec![("200", json!({ "description": "The version's bytes" }))],
        ),
        "restoreFileVersion" => (
            "Make an earlier version current (compiled first, like a save)",
            vec![path_param("hid", "Version id")],
            None,
            vec![("200", ok_json("Saved", json!({ "type": "object" })))],
        ),
        "updateUser" => (
            "Change a user's role, reset their password (ends their sessions) or disable them",
            vec![path_param("uid", "User id")],
            Some(json_body(
                json!({ "type": "object", "properties": {
                "role": { "type": "string", "enum": ["owner", "admin", "user"] },
                "password": { "type": "string" }, "enabled": { "type": "boolean" } } }),
            )),
            vec![("200", ok_json("The user", schema("User")))],
        ),
        "previewAsUser" => (
            "Run a read-only statement as another user (their permissions and row policies)",
            vec![],
            Some(json_body(
                json!({ "type": "object", "required": ["user_id", "sql"], "properties": {
                "user_id": { "type": "integer" }, "sql": { "type": "string" } } }),
            )),
            vec![("200", ok_json("Result", json!({ "type": "object" })))],
        ),
        "listTables" => (
            "The app's tables (owner/admin)",
            vec![],
            None,
            vec![(
                "200",
                ok_json(
                    "Table names",
                    json!({ "type": "object", "properties": { "data": { "type": "array", "items": { "type": "string" } } } }),
                ),
            )],
        ),
        "runSql" => (
            "Run one SQL statement as the signed-in owner/admin (through the authorizer)",
            vec![],
            Some(json_body(
                json!({ "type": "object", "required": ["sql"], "properties": { "sql": { "type": "string" } } }),
            )),
            vec![(
                "200",
                ok_json(
                    "Result",
                    json!({ "type": "object", "properties": { "columns": { "type": "array" }, "rows": { "type": "array" }, "changes": { "type": "integer" } } }),
                ),
            )],
        ),
        _ => ("", vec![], None, vec![]),
    }
}

fn components() -> J {
    json!({
        "securitySchemes": {
            "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
            "session": { "type": "apiKey", "in": "cookie", "name": "hbf_session" }
        },
        "schemas": {
            "Error": { "type": "object", "required": ["error", "status"], "properties": {
                "error": { "type": "string" }, "status": { "type": "integer" } } },
            "User": { "type": "object", "properties": { "id": { "type": "integer" }, "username": { "type": "string" },
                "email": { "type": ["string", "null"] }, "role": { "type": "string" } } },
            "Session": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string" },
                "expires_at": { "type": "integer" }, "user": { "$ref": "#/components/schemas/User" } } },
            "Document": { "type": "object", "required": ["id", "type", "version", "etag"], "properties": {
                "id": { "type": "string" }, "type": { "type": "string" }, "version": { "type": "integer" },
                "created_at": { "type": "integer" }, "modified_at": { "type": "integer" }, "size": { "type": "integer" },
                "etag": { "type": "string" }, "title": { "type": "string" }, "owner_id": { "type": ["integer", "null"] },
                "meta": { "type": "object" }, "tags": { "type": ["array", "null"], "items": { "type": "string" } },
                "content": { "type": "string" }, "encoding": { "type": "string", "enum": ["utf-8", "base64"] } } },
            "Hit": { "type": "object", "required": ["id", "score", "snippet"], "properties": {
                "id": { "type": "string" }, "type": { "type": "string" }, "title": { "type": "string" },
                "modified_at": { "type": "integer" }, "size": { "type": "integer" }, "score": { "type": "number" },
                "snippet": { "type": "string" } } },
            "Edge": { "type": "object", "required": ["id"], "properties": { "id": { "type": "integer" },
                "from": { "type": ["string", "null"] }, "to": { "type": ["string", "null"] }, "rel": { "type": ["string", "null"] },
                "props": {}, "created_at": { "type": "integer" } } }
        }
    })
}

/// The OpenAPI document.
pub fn document() -> J {
    let mut paths = Map::new();
    for r in ROUTES {
        let (summary, params, body, oks) = operation(r.op);
        let mut responses = Map::new();
        for (status, resp) in oks {
            responses.insert(status.to_owned(), resp);
        }
        responses.insert("default".into(), err());
        let mut o = json!({
            "operationId": r.op,
            "summary": summary,
            "tags": [r.tag],
            "parameters": params,
            "responses": responses,
        });
        if let Some(b) = body {
            o["requestBody"] = b;
        }
        let item = paths
            .entry(r.path.to_owned())
            .or_insert_with(|| J::Object(Map::new()));
        item[r.method.to_ascii_lowercase()] = o;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "HBF henv API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "HBF's own endpoints for every henv: auth, tables (the data API), documents, search, graph, admin. Requests run as the caller (Bearer token or session cookie; anonymous otherwise): table permissions and row policies apply."
        },
        "security": [{ "bearer": [] }, { "session": [] }, {}],
        "paths": paths,
        "components": components(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_described() {
        let doc = document();
        for r in ROUTES {
            let (summary, ..) = operation(r.op);
            assert!(!summary.is_empty(), "{} has no description", r.op);
            assert!(doc["paths"][r.path][r.method.to_ascii_lowercase()].is_object());
        }
        let n: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_object().unwrap().len())
            .sum();
        assert_eq!(n, ROUTES.len());
    }
}
