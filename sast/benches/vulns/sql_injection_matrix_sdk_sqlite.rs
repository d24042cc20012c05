// https://github.com/matrix-org/matrix-rust-sdk/security/advisories/GHSA-275g-g844-73jh (CVE-2025-53549, RUSTSEC-2025-0043: relation type filters pasted into the SQL with format!; fix commit d0c01006e binds them)
use rusqlite::{params_from_iter, ToSql, Transaction};
use ruma::events::relation::RelationType;

pub fn compute_filters_string(filters: Option<&[RelationType]>) -> Option<Vec<String>> {
    filters.map(|filter| {
        filter
            .iter()
            .map(|f| {
                if *f == RelationType::Replacement {
                    "m.replace".to_owned()
                } else {
                    f.to_string()
                }
            })
            .collect()
    })
}

pub fn find_event_relations(
    txn: &Transaction<'_>,
    hashed_linked_chunk_id: &[u8],
    event_id: &str,
    hashed_room_id: &[u8],
    filters: Option<&[RelationType]>,
) -> rusqlite::Result<Vec<Vec<u8>>> {
    let filter_query = if let Some(filters) = compute_filters_string(filters) {
        format!(
            " AND rel_type IN ({})",
            filters.into_iter().map(|f| format!(r#""{f}""#)).collect::<Vec<_>>().join(", ")
        )
    } else {
        "".to_owned()
    };

    let query = format!(
        "SELECT events.content, event_chunks.chunk_id, event_chunks.position
        FROM events
        LEFT JOIN event_chunks ON events.event_id = event_chunks.event_id AND event_chunks.linked_chunk_id = ?
        WHERE relates_to = ? AND room_id = ? {filter_query}"
    );

    let mut related = Vec::new();
    for result in txn.prepare(&query)?.query_map( //~ sql-injection
        (hashed_linked_chunk_id, event_id, hashed_room_id),
        |row| row.get::<_, Vec<u8>>(0),
    )? {
        related.push(result?);
    }
    Ok(related)
}

fn repeat_vars(count: usize) -> String {
    vec!["?"; count].join(",")
}

pub fn fixed_find_event_relations(
    txn: &Transaction<'_>,
    hashed_linked_chunk_id: &[u8],
    event_id: &str,
    hashed_room_id: &[u8],
    filters: Option<&[RelationType]>,
) -> rusqlite::Result<Vec<Vec<u8>>> {
    let mut related = Vec::new();
    if let Some(filters) = compute_filters_string(filters) {
        let question_marks = repeat_vars(filters.len());
        let query = format!(
            "SELECT events.content, event_chunks.chunk_id, event_chunks.position
            FROM events
            LEFT JOIN event_chunks ON events.event_id = event_chunks.event_id AND event_chunks.linked_chunk_id = ?
            WHERE relates_to = ? AND room_id = ? AND rel_type IN ({question_marks})"
        );
        let filters: Vec<_> = filters.iter().map(|f| f.to_sql().unwrap()).collect();
        let parameters = params_from_iter(
            [
                hashed_linked_chunk_id.to_sql().unwrap(),
                event_id.to_sql().unwrap(),
                hashed_room_id.to_sql().unwrap(),
            ]
            .into_iter()
            .chain(filters),
        );
        let mut stmt = txn.prepare(&query)?;
        for result in stmt.query_map(parameters, |row| row.get::<_, Vec<u8>>(0))? {
            related.push(result?);
        }
    }
    Ok(related)
}
