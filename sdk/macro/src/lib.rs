//! `#[perk_sdk::policy]`: turns a function or an `impl Policy for T` into a Perk policy.
//! `#[derive(FromJson, ToJson)]`: configs and states as JSON, without serde in the guest.

mod json;

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::{format_ident, quote};
use syn::{parse_macro_input, spanned::Spanned, Attribute, FnArg, Item, ItemFn, ItemImpl, LitStr, Type};

/// Makes a reward policy.
///
/// On a function `fn name(config: &Config, purchase: &Purchase, customer: &Customer, ctx: &Context)
/// -> Outcome` (or `-> Result<Outcome, E>`), it also defines `pub struct Name` (the function's
/// name in UpperCamelCase; override with `#[policy(name = "Other")]`) implementing
/// `perk_sdk::Policy`, for tests with `perk_sdk::testing::Harness`.
///
/// On `impl perk_sdk::Policy for T { ... }`, it exports `T` as it is.
///
/// Either way, a wasm build of the crate exports the `perk:policy` world; doc comments become
/// the policy's description.
/// Reads the type from a `perk_sdk::json::Value`: a struct with named fields from an object
/// (by field name; `Option` fields may be left out), an enum of unit variants from a string.
/// Honours `#[serde(deny_unknown_fields, rename_all = "...")]` on the type and
/// `#[serde(default, default = "path", rename = "...")]` on fields, as serde would.
#[proc_macro_derive(FromJson, attributes(serde))]
pub fn derive_from_json(input: TokenStream) -> TokenStream {
    json::from_json(parse_macro_input!(input)).unwrap_or_else(|e| e.to_compile_error()).into()
}

/// Writes the type as compact JSON, as serde_json would write it with serde's derive.
#[proc_macro_derive(ToJson, attributes(serde))]
pub fn derive_to_json(input: TokenStream) -> TokenStream {
    json::to_json(parse_macro_input!(input)).unwrap_or_else(|e| e.to_compile_error()).into()
}

#[proc_macro_attribute]
pub fn policy(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut struct_name: Option<LitStr> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            struct_name = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown argument; `#[policy]` takes only `name = \"StructName\"`"))
        }
    });
    parse_macro_input!(attr with parser);

    let expanded = match parse_macro_input!(item as Item) {
        Item::Fn(f) => expand_fn(f, struct_name),
        Item::Impl(i) => expand_impl(i, struct_name),
        other => Err(syn::Error::new(other.span(), "#[perk_sdk::policy] goes on a function or on `impl perk_sdk::Policy for YourType`")),
    };
    expanded.unwrap_or_else(|e| e.to_compile_error()).into()
}

fn doc_string(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value().trim().to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn camel_case(snake: &str) -> String {
    snake
        .split('_')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut c = s.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

fn expand_fn(f: ItemFn, struct_name: Option<LitStr>) -> syn::Result<proc_macro2::TokenStream> {
    let fn_name = &f.sig.ident;
    if f.sig.inputs.len() != 4 {
        return Err(syn::Error::new(
            f.sig.inputs.span(),
            "a policy function takes four arguments: (config: &Config, purchase: &Purchase, customer: &Customer, ctx: &Context)",
        ));
    }
    let config_ty = match f.sig.inputs.first() {
        Some(FnArg::Typed(pt)) => match &*pt.ty {
            Type::Reference(r) => (*r.elem).clone(),
            other => return Err(syn::Error::new(other.span(), "the first argument is the config, taken by reference: `&Config`")),
        },
        Some(other) => return Err(syn::Error::new(other.span(), "a policy function is a free function, not a method")),
        None => unreachable!("checked above"),
    };
    let ty = match struct_name {
        Some(s) => syn::Ident::new(&s.value(), s.span()),
        None => format_ident!("{}", camel_case(&fn_name.to_string()), span = Span::call_site()),
    };
    let description = doc_string(&f.attrs);
    Ok(quote! {
        #f

        #[doc = concat!("The policy `", stringify!(#fn_name), "`, as a type (made by `#[perk_sdk::policy]`).")]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct #ty;

        impl ::perk_sdk::Policy for #ty {
            type Config = #config_ty;
            fn on_purchase(
                config: &Self::Config,
                purchase: &::perk_sdk::Purchase,
                customer: &::perk_sdk::Customer,
                ctx: &::perk_sdk::Context,
            ) -> ::perk_sdk::Result<::perk_sdk::Outcome> {
                ::perk_sdk::__rt::IntoOutcome::into_outcome(#fn_name(config, purchase, customer, ctx))
            }
        }

        ::perk_sdk::__export_policy!(#ty, #description, on_ignored_event);
    })
}

fn expand_impl(i: ItemImpl, struct_name: Option<LitStr>) -> syn::Result<proc_macro2::TokenStream> {
    if let Some(s) = struct_name {
        return Err(syn::Error::new(s.span(), "`name = ...` is for functions; an impl already names its type"));
    }
    match &i.trait_ {
        Some((None, path, _)) if path.segments.last().is_some_and(|s| s.ident == "Policy") => {}
        _ => return Err(syn::Error::new(i.span(), "expected `impl perk_sdk::Policy for YourType { ... }`")),
    }
    let self_ty = &i.self_ty;
    let description = doc_string(&i.attrs);
    // Without its own `on_event` the policy answers every event with the trait's default
    // (an empty outcome), so the export need not decode the event.
    let handles_events = i.items.iter().any(|item| matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == "on_event"));
    let on_event = if handles_events { format_ident!("on_event") } else { format_ident!("on_ignored_event") };
    Ok(quote! {
        #i
        ::perk_sdk::__export_policy!(#self_ty, #description, #on_event);
    })
}
