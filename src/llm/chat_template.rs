//! The model's own chat template (`tokenizer.chat_template`, Jinja) rendered with minijinja,
//! configured like Hugging Face's renderer (trimmed blocks, Python string methods).

use minijinja::{Environment, Error, ErrorKind, context};

use super::{ChatMessage, LlmError};

const TEMPLATE_NAME: &str = "chat";

pub struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

impl ChatTemplate {
    pub fn new(source: String, bos_token: String, eos_token: String) -> Result<Self, LlmError> {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| LlmError::Template(describe(&e)))?;
        env.set_syntax(syntax);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", |message: String| -> Result<String, Error> {
            Err(Error::new(ErrorKind::InvalidOperation, message))
        });
        env.add_template_owned(TEMPLATE_NAME, source).map_err(|e| LlmError::Template(describe(&e)))?;
        Ok(ChatTemplate { env, bos_token, eos_token })
    }

    /// The prompt text for `messages`, ending where the assistant's answer begins.
    pub fn render(&self, messages: &[ChatMessage]) -> Result<String, LlmError> {
        self.render_with(messages, true)
    }

    /// The text of `messages` alone, without the opening of the answer: for a system message,
    /// the part every prompt with that system message starts with.
    pub fn render_opening(&self, messages: &[ChatMessage]) -> Result<String, LlmError> {
        self.render_with(messages, false)
    }

    fn render_with(&self, messages: &[ChatMessage], add_generation_prompt: bool) -> Result<String, LlmError> {
        let template = self.env.get_template(TEMPLATE_NAME).map_err(|e| LlmError::Template(describe(&e)))?;
        template
            .render(context! {
                messages => minijinja::Value::from(minijinja::value::Serde(messages)),
                add_generation_prompt,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
            })
            .map_err(|e| LlmError::Template(describe(&e)))
    }
}

fn describe(e: &Error) -> String {
    match e.detail() {
        Some(detail) => format!("{} ({detail})", e.kind()),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_chatml_template_with_python_methods() {
        let source = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content.strip() }}<|im_end|>\n{% endfor %}\
                      {% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
        let template = ChatTemplate::new(source.into(), String::new(), "<|im_end|>".into()).unwrap();
        let text = template.render(&[ChatMessage::system("Sei knapp."), ChatMessage::user("  Hallo ")]).unwrap();
        assert_eq!(
            text,
            "<|im_start|>system\nSei knapp.<|im_end|>\n<|im_start|>user\nHallo<|im_end|>\n<|im_start|>assistant\n"
        );
        let opening = template.render_opening(&[ChatMessage::system("Sei knapp.")]).unwrap();
        assert_eq!(opening, "<|im_start|>system\nSei knapp.<|im_end|>\n");
    }

    #[test]
    fn raise_exception_becomes_a_template_error() {
        let template =
            ChatTemplate::new("{{ raise_exception('only user and assistant') }}".into(), String::new(), String::new())
                .unwrap();
        let err = template.render(&[ChatMessage::user("x")]).unwrap_err();
        assert!(err.to_string().contains("only user and assistant"), "{err}");
    }
}
