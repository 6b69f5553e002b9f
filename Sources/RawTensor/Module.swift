/// A building block of a network that owns trainable parameters (``Variable`` leaves) and
/// sub-modules, discovered by name.
///
/// The default ``namedParameters()`` walks the stored properties with `Mirror`: a property
/// `conv2` holding a ``Conv2d`` inside a property `level1` of a module stored as `encoderA` yields
/// `"encoderA.level1.conv2.weight"` and `"encoderA.level1.conv2.bias"`. Arrays are indexed
/// (`"layers.0.weight"`), optionals unwrapped, and a parameter or module reachable twice is listed
/// once, under its first name. Override ``namedParameters()`` for custom naming.
public protocol Module: AnyObject {
    /// Every trainable parameter with its dotted path, in declaration order.
    func namedParameters() -> [(name: String, parameter: Variable)]
}

extension Module {
    /// Every trainable parameter with its dotted path, found by reflection.
    public func namedParameters() -> [(name: String, parameter: Variable)] {
        var result: [(name: String, parameter: Variable)] = []
        var seen = Set<ObjectIdentifier>()
        collectParameters(of: self, prefix: "", into: &result, seen: &seen)
        return result
    }

    /// The trainable parameters, in the order of ``namedParameters()``.
    public var parameters: [Variable] { namedParameters().map(\.parameter) }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Forgets the accumulated gradient of every parameter (call before each training step).
    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }

    /// The parameter values by name (what ``SafeTensors/write(to:)`` saves).
    public func parameterTensors() -> [String: Tensor] {
        Dictionary(namedParameters().map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// Sets parameters from tensors by name (as read by ``SafeTensors/init(contentsOf:)``).
    ///
    /// - Parameters:
    ///   - tensors: the values by dotted parameter name.
    ///   - strict: when `true`, every parameter must be present, shapes must match and no
    ///     unknown name may be left over.
    ///   - source: where the tensors came from (a file path), named in errors.
    /// - Throws: ``TensorIOError/missingTensor(path:name:)`` or ``TensorIOError/shapeMismatch(path:name:expected:found:)``;
    ///   `path` is `source` (for example the file the tensors came from).
    public func loadParameters(_ tensors: [String: Tensor], strict: Bool = true, source: String = "") throws(TensorIOError) {
        let named = namedParameters()
        for (name, parameter) in named {
            guard let t = tensors[name] else {
                if strict { throw .missingTensor(path: source, name: name) }
                continue
            }
            guard t.shape == parameter.shape else {
                throw .shapeMismatch(path: source, name: name, expected: parameter.shape, found: t.shape)
            }
        }
        if strict {
            let known = Set(named.map(\.name))
            if let extra = tensors.keys.sorted().first(where: { !known.contains($0) }) {
                throw .unexpectedTensor(path: source, name: extra)
            }
        }
        for (name, parameter) in named { if let t = tensors[name] { parameter.assign(t) } }
    }
}

private func collectParameters(of value: Any, prefix: String, into result: inout [(name: String, parameter: Variable)],
                               seen: inout Set<ObjectIdentifier>) {
    func join(_ label: String) -> String { prefix.isEmpty ? label : prefix + "." + label }
    if let variable = value as? Variable {
        if variable.requiresGradient && seen.insert(ObjectIdentifier(variable)).inserted {
            result.append((prefix, variable))
        }
        return
    }
    if let module = value as? Module {
        guard seen.insert(ObjectIdentifier(module)).inserted else { return }
        if !prefix.isEmpty, let custom = module as? CustomParameterNaming {
            for (name, p) in custom.namedParameters() where seen.insert(ObjectIdentifier(p)).inserted {
                result.append((join(name), p))
            }
            return
        }
        var mirror: Mirror? = Mirror(reflecting: module)
        while let m = mirror {
            for child in m.children {
                guard let label = child.label else { continue }
                collectParameters(of: child.value, prefix: join(label.hasPrefix("_") ? String(label.dropFirst()) : label),
                                  into: &result, seen: &seen)
            }
            mirror = m.superclassMirror
        }
        return
    }
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .optional:
        if let wrapped = mirror.children.first { collectParameters(of: wrapped.value, prefix: prefix, into: &result, seen: &seen) }
    case .collection:
        for (i, child) in mirror.children.enumerated() {
            collectParameters(of: child.value, prefix: join(String(i)), into: &result, seen: &seen)
        }
    default:
        return
    }
}

/// A module that names its own parameters instead of being reflected (implement ``Module/namedParameters()``
/// yourself and adopt this marker so that containers use your names).
public protocol CustomParameterNaming: Module {}

/// A module that maps one variable to another.
public protocol UnaryLayer: Module {
    /// Applies the layer, recording the operation for backpropagation when gradients are enabled.
    func callAsFunction(_ input: Variable) -> Variable
}

extension UnaryLayer {
    /// Applies the layer to a tensor without recording gradients (inference).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withoutGradient { self(Variable(input)).value }
    }
}
