//! A struct is read from a table, never from an array. serde's derived struct deserialisers
//! also accept a sequence and read it positionally, so `flagged = [0.75, 0.25, 9, "x", {}]`
//! would read as `within = 0.75, to_adjacent = 0.25` and drop the rest. [`TablesOnly`] wraps
//! any deserialiser (the TOML file, a `toml::Value`) and, at every depth, refuses a sequence
//! wherever a struct (or a struct variant) is expected, with serde's own "invalid type"
//! error: `invalid type: sequence, expected a table`. Everything else passes through
//! unchanged.
//!
//! Only what serde deserialises through the wrapper is covered: types that buffer their input
//! first (internally tagged or untagged enums) would read the buffer without it, which is why
//! the policy and mitigation enums read their tables by hand ([`super::tagged`]).

use serde::de::{self, DeserializeSeed, Deserializer, Unexpected, Visitor};
use std::fmt;

/// What a struct written as an array was expected to be.
pub(crate) const TABLE: &str = "a table";

/// A deserialiser that refuses a sequence where a struct is expected (see the module).
pub(crate) struct TablesOnly<D>(pub D);

/// Deserialises `T` from `de` with [`TablesOnly`], recording the key path of any error.
pub(crate) fn deserialize<'de, D, T>(de: D) -> Result<T, serde_path_to_error::Error<D::Error>>
where
    D: Deserializer<'de>,
    T: de::Deserialize<'de>,
{
    serde_path_to_error::deserialize(TablesOnly(de))
}

/// A visitor that, for a struct, refuses a sequence; every nested deserialiser it is given is
/// wrapped again.
struct Wrap<V> {
    inner: V,
    table: bool,
}

impl<V> Wrap<V> {
    fn any(inner: V) -> Self {
        Self {
            inner,
            table: false,
        }
    }

    fn table(inner: V) -> Self {
        Self { inner, table: true }
    }
}

/// Forwards `deserialize_*` methods that take only a visitor.
macro_rules! forward {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(Wrap::any(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for TablesOnly<D> {
    type Error = D::Error;

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Wrap::any(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Wrap::any(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap::any(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_tuple_struct(name, len, Wrap::any(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_struct(name, fields, Wrap::table(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap::any(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Forwards `visit_*` methods that take one plain value.
macro_rules! visit {
    ($($method:ident($ty:ty))*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    visit! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
        visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
        visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str)
        visit_borrowed_str(&'de str) visit_string(String) visit_bytes(&[u8])
        visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(TablesOnly(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(TablesOnly(d))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.table {
            Err(de::Error::invalid_type(Unexpected::Seq, &TABLE))
        } else {
            self.inner.visit_seq(Access(seq))
        }
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Access(map))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(Access(data))
    }
}

/// A sequence, map, enum or variant access whose values are read with [`TablesOnly`].
struct Access<A>(A);

/// A seed whose deserialiser is wrapped in [`TablesOnly`].
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(TablesOnly(d))
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Access<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Access<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Access<A> {
    type Error = A::Error;
    type Variant = Access<A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(Seed(seed))?;
        Ok((value, Access(variant)))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Access<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap::any(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Wrap::table(visitor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        a: f64,
        #[serde(default)]
        b: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Shape {
        Unit,
        Pair(u32, u32),
        Square { side: u32 },
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        inner: Option<Inner>,
        #[serde(default)]
        list: Vec<Inner>,
        #[serde(default)]
        plain: Vec<u32>,
        #[serde(default)]
        shape: Option<Shape>,
    }

    fn read(text: &str) -> Result<Outer, String> {
        let de = toml::Deserializer::parse(text).map_err(|e| e.to_string())?;
        deserialize(de).map_err(|e| format!("{}: {}", e.path(), e.inner().message()))
    }

    #[test]
    fn plain_serde_reads_a_struct_from_an_array_and_the_wrapper_does_not() {
        let text = "inner = [0.5, 3, \"junk\"]\n";
        let plain: Outer = toml::from_str(text).unwrap();
        assert_eq!(plain.inner, Some(Inner { a: 0.5, b: 3 }));
        assert_eq!(
            read(text).unwrap_err(),
            "inner: invalid type: sequence, expected a table"
        );
    }

    #[test]
    fn every_depth_and_every_struct_is_covered() {
        for (text, path) in [
            ("list = [[0.5]]\n", "list[0]"),
            ("list = [{ a = 1.0 }, [0.5]]\n", "list[1]"),
            ("[[list]]\na = 1.0\n[[list]]\na = 2.0\n", ""),
            ("shape = { Square = [3] }\n", "shape.Square"),
            ("inner = []\n", "inner"),
        ] {
            if path.is_empty() {
                assert!(read(text).is_ok(), "{text}");
            } else {
                assert_eq!(
                    read(text).unwrap_err(),
                    format!("{path}: invalid type: sequence, expected a table"),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn every_table_of_the_spec_refuses_an_array_in_the_file_and_in_a_set() {
        use crate::scenario::testing::{at, every_kind, paths};
        use crate::scenario::{Overrides, Scenario};
        let resolved = every_kind();
        let tables = paths(&resolved, true);
        assert!(tables.len() > 30, "{tables:?}");
        let array = toml::Value::Array(vec![0.5.into(), 0.5.into(), 0.5.into()]);
        let load = |text: &str, sets: Vec<String>| {
            let overrides = Overrides {
                sets,
                ..Overrides::default()
            };
            Scenario::from_toml_str(text, "t.toml", ".".as_ref(), &overrides)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        for path in tables {
            // In the file: the table replaced by an array.
            let mut doc = resolved.clone();
            *at(&mut doc, &path) = array.clone();
            let e = load(&toml::to_string(&doc).unwrap(), Vec::new());
            assert!(
                e.contains(&format!("`{path}`: expected a table")) && e.ends_with("found an array"),
                "{path}: {e}"
            );
            // On the command line.
            let set = vec![format!("{path}=[0.5, 0.5, 0.5]")];
            let e = load(&toml::to_string(&resolved).unwrap(), set);
            assert!(
                e.contains("expected a table") && e.ends_with("found an array"),
                "{path}: {e}"
            );
        }
    }

    #[test]
    fn everything_else_reads_as_before() {
        let text = "inner = { a = 1.5 }\nplain = [1, 2]\nshape = \"Unit\"\n";
        assert_eq!(read(text).unwrap(), toml::from_str::<Outer>(text).unwrap());
        let pair = read("shape = { Pair = [1, 2] }\n").unwrap();
        assert_eq!(pair.shape, Some(Shape::Pair(1, 2)));
        let value: toml::Value = toml::from_str("x = [1, { y = 2 }]\nd = 1979-05-27\n").unwrap();
        let again: toml::Value = deserialize(value.clone()).unwrap();
        assert_eq!(again, toml::Value::deserialize(value).unwrap());
        assert!(read("inner = { a = \"x\" }\n")
            .unwrap_err()
            .starts_with("inner.a: invalid type: string"));
    }
}
