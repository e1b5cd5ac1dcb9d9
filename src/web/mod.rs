//! Pages for people rather than programs: the shop and the console. Server-rendered,
//! complete without JavaScript, nothing loaded from another origin. Pages call the same
//! domain functions as the JSON handlers and never touch the database themselves.
pub mod assets;
pub mod console;
pub mod format;
pub mod frame;
pub mod html;
pub mod i18n;
pub mod origin;
pub mod shop;
pub mod templates;
pub mod visitor;
