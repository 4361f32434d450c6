//! The conformance suite every backend runs against a real database.
//!
//! A backend test file calls [`conformance_tests!`] with an async factory that returns a
//! fresh, empty, migrated store (or `None` to skip, e.g. when no PostgreSQL is configured);
//! the macro expands to one `#[tokio::test]` per case, named after the case.

mod cases;
mod fixtures;

pub use cases::*;
pub use fixtures::{Harness, sample_data, sample_entry, sample_spec};

/// Expands to one test per conformance case for the store made by `$factory`
/// (`async fn() -> Option<Harness>`).
#[macro_export]
macro_rules! conformance_tests {
    ($factory:path) => {
        $crate::conformance_tests!(@cases $factory,
            collections_are_created_listed_updated_and_deleted,
            a_collection_with_entries_cannot_be_deleted,
            entries_round_trip_every_field,
            an_entry_with_thousands_of_categories_round_trips,
            large_and_unicode_content_round_trips_byte_exact,
            external_content_is_recorded_as_given,
            creating_in_a_missing_collection_is_not_found,
            a_duplicate_atom_id_in_one_collection_conflicts,
            updates_advance_edited_and_etag_and_keep_published,
            a_stale_etag_fails_and_changes_nothing,
            exactly_one_of_concurrent_writers_with_the_same_etag_wins,
            no_update_is_lost_under_sixteen_concurrent_writers,
            deleted_entries_are_gone_and_leave_tombstones,
            freshness_moves_on_every_write,
            visible_freshness_ignores_writes_the_caller_cannot_see,
            counts_only_what_the_view_sees,
            edited_increases_strictly_in_commit_order,
            a_restored_entry_keeps_its_edit_time_when_it_can,
            a_restored_collection_keeps_its_feed_id,
            concurrent_creations_fail_alone,
            pages_chain_forward_and_backward_without_gaps,
            a_page_walk_sees_each_unchanged_entry_exactly_once_under_concurrent_inserts,
            restriction_filtering_happens_in_the_query,
            a_run_of_hidden_entries_leaves_paging_exact,
            drafts_are_visible_to_their_publisher_and_admins_only,
            date_category_and_text_filters_happen_in_the_query,
            changes_since_pages_through_the_change_log,
            sync_shows_each_caller_only_what_it_could_see,
            head_tombstones_are_what_left_the_callers_view,
            a_count_is_what_the_pages_show,
            sync_keeps_drafts_to_their_publisher_and_its_window_fixed,
            pruned_changes_expire_older_windows_only,
            feed_tokens_are_stored_listed_and_revoked,
            audit_records_are_appended_and_listed_newest_first
        );
    };
    (@cases $factory:path, $($case:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(harness) = $factory().await else {
                    return;
                };
                $crate::conformance::$case(harness.store.clone()).await;
            }
        )*
    };
}
