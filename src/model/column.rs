//! Content types stored as text columns on both engines: statuses, note
//! kinds, sanitized HTML. The database only ever sees the text; Rust code only
//! ever sees the type, and a value the type does not know fails loudly on read.

/// Implements sqlx's `Type`, `Encode` and `Decode` for every engine whose
/// strings they are built on: `text_column!(Type, |v| v.as_str(), |s| Type::parse(s))`
/// where the second closure answers `Result<Type, impl Display>`.
macro_rules! text_column {
    ($ty:ty, |$value:ident| $to_text:expr, |$text:ident| $from_text:expr) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $ty
        where
            for<'a> &'a str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                let $value = self;
                let text: &str = $to_text;
                <&str as sqlx::Encode<'q, DB>>::encode_by_ref(&text, buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let $text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                $from_text.map_err(|e| e.to_string().into())
            }
        }
    };
}

pub(crate) use text_column;
