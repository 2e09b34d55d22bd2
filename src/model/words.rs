//! Enumerations with fixed spellings, each defined once: its variants, the word the config
//! files (and plans) use, and the word the JumpCloud API uses, in one table per enum
//! ([`words!`]). Every other module parses and prints them through the generated methods:
//!
//! - `config_name()` / `from_config()`: the config and plan word (a use case's `two_way_sync`);
//!   serde uses it too, so a plan's JSON and the files agree by construction.
//! - `api_name()` / `from_api()`: the API's word (`TWOWAYSYNC`).
//! - `NAMES`: the words the files may use (variants marked `live` only come from the org, such
//!   as an AD domain's `PENDING` delegation, and are refused in the files).

/// Defines an enumeration from its spelling table:
///
/// ```ignore
/// words! {
///     /// Doc.
///     pub enum Delegation {
///         Enabled = "enabled" / "ENABLED",
///         Disabled = "disabled" / "DISABLED",
///         @live
///         Pending = "pending" / "PENDING",
///     }
/// }
/// ```
macro_rules! words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $config:literal / $api:literal, )*
            $( @live $( $(#[$lmeta:meta])* $lvariant:ident = $lconfig:literal / $lapi:literal, )* )?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            $( $( $(#[$lmeta])* $lvariant, )* )?
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* $( $( $name::$lvariant, )* )? ];

            /// The words the config files may use (live-only variants left out).
            pub const NAMES: &'static [&'static str] =
                &[ $( $config, )* ];

            /// The config (and plan) word.
            pub const fn config_name(self) -> &'static str {
                match self {
                    $( $name::$variant => $config, )*
                    $( $( $name::$lvariant => $lconfig, )* )?
                }
            }

            /// The JumpCloud API's word.
            pub const fn api_name(self) -> &'static str {
                match self {
                    $( $name::$variant => $api, )*
                    $( $( $name::$lvariant => $lapi, )* )?
                }
            }

            /// The variant with this config (or plan) word, live-only ones included.
            pub fn from_config(word: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.config_name() == word)
            }

            /// The variant the files may declare with this word (see `NAMES`).
            pub fn declared(word: &str) -> Option<$name> {
                Self::from_config(word).filter(|v| Self::NAMES.contains(&v.config_name()))
            }

            /// The variant with this API word.
            pub fn from_api(word: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.api_name() == word)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.config_name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                const EXPECTED: &[&str] = &[ $( $config, )* $( $( $lconfig, )* )? ];
                $name::from_config(&word)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&word, EXPECTED))
            }
        }
    };
}

pub(crate) use words;
