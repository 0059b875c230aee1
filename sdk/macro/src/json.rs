//! `#[derive(FromJson)]` and `#[derive(ToJson)]`: configs and states read from and written
//! as JSON by `perk_sdk::json`, with the `#[serde(...)]` attributes serde would read.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{spanned::Spanned, Attribute, Data, DeriveInput, Fields, LitStr};

/// What the `#[serde(...)]` attributes of the type say.
#[derive(Default)]
struct Container {
    deny_unknown_fields: bool,
    rename_all: Option<(String, proc_macro2::Span)>,
}

/// What the `#[serde(...)]` attributes of a field or variant say.
#[derive(Default)]
struct Member {
    rename: Option<String>,
    /// `default` (`Some(None)`) or `default = "path"`.
    default: Option<Option<syn::Path>>,
}

const SUPPORTED: &str =
    "perk_sdk's JSON derives read `#[serde(deny_unknown_fields, rename_all = \"...\")]` on a type and `#[serde(default, default = \"path\", rename = \"...\")]` on a field";

fn container(attrs: &[Attribute]) -> syn::Result<Container> {
    let mut c = Container::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("deny_unknown_fields") {
                c.deny_unknown_fields = true;
            } else if meta.path.is_ident("rename_all") {
                let s: LitStr = meta.value()?.parse()?;
                c.rename_all = Some((s.value(), s.span()));
            } else {
                return Err(meta.error(SUPPORTED));
            }
            Ok(())
        })?;
    }
    Ok(c)
}

fn member(attrs: &[Attribute], field: bool) -> syn::Result<Member> {
    let mut m = Member::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                m.rename = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if field && meta.path.is_ident("default") {
                m.default = Some(if meta.input.peek(syn::Token![=]) { Some(meta.value()?.parse::<LitStr>()?.parse()?) } else { None });
            } else {
                return Err(meta.error(SUPPORTED));
            }
            Ok(())
        })?;
    }
    Ok(m)
}

/// `name` (a field's snake_case or a variant's PascalCase identifier) as `rule` writes it.
fn rename(name: &str, rule: &str, variant: bool, span: proc_macro2::Span) -> syn::Result<String> {
    // Words in lower case: `two_words` from `TwoWords` or `two_words`.
    let words: Vec<String> = if variant {
        let mut words = Vec::new();
        for c in name.chars() {
            if c.is_uppercase() || words.is_empty() {
                words.push(String::new());
            }
            words.last_mut().unwrap().extend(c.to_lowercase());
        }
        words
    } else {
        name.split('_').map(str::to_string).collect()
    };
    let capitalized = |w: &String| {
        let mut c = w.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
    };
    Ok(match rule {
        "lowercase" => words.concat(),
        "UPPERCASE" => words.concat().to_uppercase(),
        "snake_case" => words.join("_"),
        "SCREAMING_SNAKE_CASE" => words.join("_").to_uppercase(),
        "kebab-case" => words.join("-"),
        "SCREAMING-KEBAB-CASE" => words.join("-").to_uppercase(),
        "PascalCase" => words.iter().map(capitalized).collect(),
        "camelCase" => words.iter().enumerate().map(|(i, w)| if i == 0 { w.clone() } else { capitalized(w) }).collect(),
        other => return Err(syn::Error::new(span, format!("unknown `rename_all` rule `{other}`"))),
    })
}

/// The JSON names of `members` (fields or variants), in order.
fn names<'a>(c: &Container, members: impl Iterator<Item = (&'a syn::Ident, &'a Member)>, variant: bool) -> syn::Result<Vec<String>> {
    members
        .map(|(ident, m)| match (&m.rename, &c.rename_all) {
            (Some(r), _) => Ok(r.clone()),
            (None, Some((rule, span))) => rename(&ident.to_string(), rule, variant, *span),
            (None, None) => Ok(ident.to_string().trim_start_matches("r#").to_string()),
        })
        .collect()
}

/// The type's generics with `bound` on each type parameter.
fn bounded(input: &DeriveInput, bound: TokenStream) -> syn::Generics {
    let mut generics = input.generics.clone();
    for p in generics.type_params_mut() {
        p.bounds.push(syn::parse2(bound.clone()).expect("a trait bound"));
    }
    generics
}

fn named_fields(input: &DeriveInput) -> syn::Result<Option<Vec<(&syn::Ident, Member)>>> {
    match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(f) => f
                .named
                .iter()
                .map(|f| Ok((f.ident.as_ref().expect("named"), member(&f.attrs, true)?)))
                .collect::<syn::Result<_>>()
                .map(Some),
            Fields::Unnamed(f) if f.unnamed.len() == 1 => Ok(None),
            other => Err(syn::Error::new(other.span(), "perk_sdk's JSON derives take structs with named fields, or one unnamed field")),
        },
        _ => Ok(None),
    }
}

fn unit_variants(input: &DeriveInput, e: &syn::DataEnum) -> syn::Result<Vec<(syn::Ident, Member)>> {
    if e.variants.is_empty() {
        return Err(syn::Error::new(input.ident.span(), "an enum without variants has no JSON form"));
    }
    e.variants
        .iter()
        .map(|v| match v.fields {
            Fields::Unit => Ok((v.ident.clone(), member(&v.attrs, false)?)),
            _ => Err(syn::Error::new(
                v.span(),
                "perk_sdk's JSON derives take enums of unit variants (written as their names); implement `FromJson` by hand for others",
            )),
        })
        .collect()
}

/// `impl trait_ for Type { method }`, with `trait_` required of every type parameter.
fn implement(input: &DeriveInput, trait_: TokenStream, method: TokenStream) -> TokenStream {
    let name = &input.ident;
    let generics = bounded(input, trait_.clone());
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        impl #impl_generics #trait_ for #name #ty_generics #where_clause {
            #method
        }
    }
}

pub fn from_json(input: DeriveInput) -> syn::Result<TokenStream> {
    let c = container(&input.attrs)?;
    let name = &input.ident;
    let body = match &input.data {
        Data::Struct(_) => match named_fields(&input)? {
            Some(fields) => {
                let json = names(&c, fields.iter().map(|(i, m)| (*i, m)), false)?;
                let expected = format!("struct {name}");
                let deny = c.deny_unknown_fields;
                // Prefixed, so that no field name (`value`, `fields`) meets the generated names.
                let locals: Vec<_> = fields.iter().map(|(ident, _)| quote::format_ident!("__perk_field_{}", ident)).collect();
                let reads = fields.iter().zip(&json).zip(&locals).map(|(((_, m), key), local)| {
                    let read = match &m.default {
                        None => quote!(__perk_fields.field(#key)?),
                        Some(None) => quote!(__perk_fields.field_or(#key, ::core::default::Default::default)?),
                        Some(Some(path)) => quote!(__perk_fields.field_or(#key, #path)?),
                    };
                    quote!(let #local = ::perk_sdk::json::Held::new(#read);)
                });
                let idents = fields.iter().map(|(ident, _)| ident);
                quote! {
                    let mut __perk_fields = ::perk_sdk::json::Fields::open(value, #expected, &[#(#json),*], #deny)?;
                    #(#reads)*
                    ::core::result::Result::Ok(Self { #(#idents: ::perk_sdk::json::Held::into_inner(#locals),)* })
                }
            }
            None => quote!(::perk_sdk::json::FromJson::from_json(value).map(Self)),
        },
        Data::Enum(e) => {
            let variants = unit_variants(&input, e)?;
            let json = names(&c, variants.iter().map(|(i, m)| (i, m)), true)?;
            let expected = format!("enum {name}");
            let last = variants.len() - 1;
            let arms = variants
                .iter()
                .enumerate()
                .map(|(i, (ident, _))| if i == last { quote!(_ => Self::#ident) } else { quote!(#i => Self::#ident) });
            quote! {
                ::core::result::Result::Ok(match ::perk_sdk::json::variant(value, #expected, &[#(#json),*])? { #(#arms,)* })
            }
        }
        Data::Union(u) => return Err(syn::Error::new(u.union_token.span(), "a union has no JSON form")),
    };
    let method = quote! {
        fn from_json(value: ::perk_sdk::json::Value) -> ::perk_sdk::json::Result<Self> {
            #body
        }
    };
    Ok(implement(&input, quote!(::perk_sdk::json::FromJson), method))
}

/// `s` as a JSON string literal.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn to_json(input: DeriveInput) -> syn::Result<TokenStream> {
    let c = container(&input.attrs)?;
    let body = match &input.data {
        Data::Struct(_) => match named_fields(&input)? {
            // `{"a":` … `,"b":` … `}`: one literal between fields.
            Some(fields) if fields.is_empty() => quote!(::perk_sdk::json::raw(out, "{}");),
            Some(fields) => {
                let json = names(&c, fields.iter().map(|(i, m)| (*i, m)), false)?;
                let writes = fields.iter().zip(&json).enumerate().map(|(i, ((ident, _), key))| {
                    let open = format!("{}{}:", if i == 0 { "{" } else { "," }, quoted(key));
                    quote! {
                        ::perk_sdk::json::raw(out, #open);
                        ::perk_sdk::json::ToJson::write_json(&self.#ident, out);
                    }
                });
                quote! {
                    #(#writes)*
                    ::perk_sdk::json::raw(out, "}");
                }
            }
            None => quote!(::perk_sdk::json::ToJson::write_json(&self.0, out);),
        },
        Data::Enum(e) => {
            let variants = unit_variants(&input, e)?;
            let json = names(&c, variants.iter().map(|(i, m)| (i, m)), true)?;
            let arms = variants.iter().zip(&json).map(|((ident, _), key)| {
                let lit = quoted(key);
                quote!(Self::#ident => #lit)
            });
            quote!(::perk_sdk::json::raw(out, match self { #(#arms,)* });)
        }
        Data::Union(u) => return Err(syn::Error::new(u.union_token.span(), "a union has no JSON form")),
    };
    let method = quote! {
        fn write_json(&self, out: &mut ::perk_sdk::__alloc::String) {
            #body
        }
    };
    Ok(implement(&input, quote!(::perk_sdk::json::ToJson), method))
}
