//! placeholder
pub fn install<'js>(
    _ctx: &rquickjs::Ctx<'js>,
    _host: &rquickjs::Object<'js>,
) -> rquickjs::Result<()> {
    Ok(())
}
