//! Element and slice selection on map and set values (`m['k']`, `s[2..5]`),
//! as Cassandra's `ElementsSelector` extracts them: a map element is the
//! value under the key, a set element is the element itself when present,
//! a slice keeps the entries whose key lies between the bounds (both
//! inclusive, an absent bound is open). Keys compare in the collection's
//! key order. A slice that keeps nothing is null for a non-frozen collection
//! (storage has no empty non-frozen collection) and empty for a frozen one.

use std::cmp::Ordering;

use sibyl_protocol::value::{CqlType, CqlValue, cql_cmp};

/// The key type of a map or set (`None` for other types).
fn key_type(ty: &CqlType) -> Option<&CqlType> {
    match ty.unfrozen() {
        CqlType::Map(k, _) => Some(k),
        CqlType::Set(e) => Some(e),
        _ => None,
    }
}

/// `collection[key]`: the map value or set element at `key`, or `None`.
pub fn element(collection: &CqlValue, key: &CqlValue, ty: &CqlType) -> Option<CqlValue> {
    let key_ty = key_type(ty)?;
    let same = |k: &CqlValue| cql_cmp(key_ty, k, key) == Ordering::Equal;
    match collection {
        CqlValue::Map(entries) => entries
            .iter()
            .find(|(k, _)| same(k))
            .map(|(_, v)| v.clone()),
        CqlValue::Set(items) => items.iter().find(|k| same(k)).cloned(),
        _ => None,
    }
}

/// `collection[from..to]`: the entries with `from <= key <= to`.
pub fn slice(
    collection: CqlValue,
    from: Option<&CqlValue>,
    to: Option<&CqlValue>,
    ty: &CqlType,
) -> Option<CqlValue> {
    let key_ty = key_type(ty)?;
    let within = |k: &CqlValue| {
        from.is_none_or(|f| cql_cmp(key_ty, k, f) != Ordering::Less)
            && to.is_none_or(|t| cql_cmp(key_ty, k, t) != Ordering::Greater)
    };
    let (kept, empty) = match collection {
        CqlValue::Map(entries) => {
            let kept: Vec<_> = entries.into_iter().filter(|(k, _)| within(k)).collect();
            let empty = kept.is_empty();
            (CqlValue::Map(kept), empty)
        }
        CqlValue::Set(items) => {
            let kept: Vec<_> = items.into_iter().filter(|k| within(k)).collect();
            let empty = kept.is_empty();
            (CqlValue::Set(kept), empty)
        }
        _ => return None,
    };
    let frozen = matches!(ty, CqlType::Frozen(_));
    (frozen || !empty).then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> CqlValue {
        CqlValue::Text(s.into())
    }

    #[test]
    fn elements_of_maps_and_sets() {
        let map_ty = CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int));
        let map = CqlValue::Map(vec![
            (text("a"), CqlValue::Int(1)),
            (text("b"), CqlValue::Int(2)),
        ]);
        assert_eq!(element(&map, &text("b"), &map_ty), Some(CqlValue::Int(2)));
        assert_eq!(element(&map, &text("z"), &map_ty), None);
        let set_ty = CqlType::Set(Box::new(CqlType::Int));
        let set = CqlValue::Set(vec![CqlValue::Int(1), CqlValue::Int(5)]);
        assert_eq!(
            element(&set, &CqlValue::Int(5), &set_ty),
            Some(CqlValue::Int(5))
        );
        assert_eq!(element(&set, &CqlValue::Int(4), &set_ty), None);
    }

    #[test]
    fn slices_are_inclusive_and_empty_is_null_unless_frozen() {
        let set_ty = CqlType::Set(Box::new(CqlType::Int));
        let set = CqlValue::Set((1..=6).map(CqlValue::Int).collect());
        let two = CqlValue::Int(2);
        let four = CqlValue::Int(4);
        assert_eq!(
            slice(set.clone(), Some(&two), Some(&four), &set_ty),
            Some(CqlValue::Set(vec![
                two.clone(),
                CqlValue::Int(3),
                four.clone()
            ]))
        );
        assert_eq!(
            slice(set.clone(), None, Some(&two), &set_ty),
            Some(CqlValue::Set(vec![CqlValue::Int(1), two.clone()]))
        );
        assert_eq!(slice(set.clone(), Some(&four), Some(&two), &set_ty), None);
        let frozen = CqlType::Frozen(Box::new(set_ty));
        assert_eq!(
            slice(set, Some(&four), Some(&two), &frozen),
            Some(CqlValue::Set(vec![]))
        );
        let map_ty = CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int));
        let map = CqlValue::Map(vec![
            (text("a"), CqlValue::Int(1)),
            (text("c"), CqlValue::Int(3)),
        ]);
        assert_eq!(
            slice(map, Some(&text("b")), None, &map_ty),
            Some(CqlValue::Map(vec![(text("c"), CqlValue::Int(3))]))
        );
    }
}
