package openboards

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Custom field types. Values always travel as strings; the type decides
// which strings are valid.
const (
	FieldText        = "text"        // one line of text
	FieldTextarea    = "textarea"    // multi-line text
	FieldNumber      = "number"      // a decimal number, e.g. "42" or "-3.5"
	FieldDate        = "date"        // a calendar date, "2006-01-02"
	FieldCheckbox    = "checkbox"    // "true" or "false"
	FieldDropdown    = "dropdown"    // one of the possible values
	FieldMultiSelect = "multiselect" // possible values separated by ";"
	FieldRegion      = "region"      // one of the possible values (a region list)
	FieldEmail       = "email"       // an e-mail address
	FieldPhone       = "phone"       // a phone number
	FieldURL         = "url"         // an absolute http(s) URL
)

// FieldTypes lists every custom field type in a stable order.
var FieldTypes = []string{FieldText, FieldTextarea, FieldNumber, FieldDate, FieldCheckbox,
	FieldDropdown, FieldMultiSelect, FieldRegion, FieldEmail, FieldPhone, FieldURL}

// MaxFieldValueLen caps a custom field value, in bytes. Values are indexed
// for the List Tickets filter, and a PostgreSQL B-tree entry holds at most
// about 2700 bytes.
const MaxFieldValueLen = 2000

// PossibleValue is one choice of a list-type custom field.
type PossibleValue struct {
	Order int    `json:"order"`
	Value string `json:"value"`
}

// CustomField is an extra data field that a community defines on tickets.
type CustomField struct {
	ID                  int64
	CommunityID         int64
	Name                string
	Type                string
	Order               int
	Placeholder         *string
	DefaultValue        *string
	IsHidden            bool
	IsRequired          bool
	IsSensitiveData     bool
	PossibleValues      []PossibleValue
	AssignedCategoryIDs []int64
}

// HasChoices reports whether values of f must come from PossibleValues.
func (f *CustomField) HasChoices() bool {
	return f.Type == FieldDropdown || f.Type == FieldMultiSelect || f.Type == FieldRegion
}

// Validate checks the definition of f, naming the offending field.
func (f *CustomField) Validate() error {
	f.Name = strings.TrimSpace(f.Name)
	if f.Name == "" {
		return Errorf(CodeInvalid, "name: required")
	}
	if err := CheckLen("name", f.Name, MaxNameLen); err != nil {
		return err
	}
	if f.Placeholder != nil {
		if err := CheckLen("placeholder", *f.Placeholder, MaxPlaceholderLen); err != nil {
			return err
		}
	}
	if len(f.PossibleValues) > MaxPossibleValues {
		return Errorf(CodeInvalid, "possibleValues: more than %d values", MaxPossibleValues)
	}
	known := false
	for _, t := range FieldTypes {
		if strings.EqualFold(t, f.Type) {
			f.Type, known = t, true
		}
	}
	if !known {
		return Errorf(CodeInvalid, "type: unknown custom field type %q (want one of %s)", f.Type, strings.Join(FieldTypes, ", "))
	}
	seen := map[string]bool{}
	for i, pv := range f.PossibleValues {
		v := strings.TrimSpace(pv.Value)
		if err := CheckLen(fmt.Sprintf("possibleValues[%d].value", i), v, MaxPossibleValueLen); err != nil {
			return err
		}
		if v == "" {
			return Errorf(CodeInvalid, "possibleValues[%d].value: required", i)
		}
		if f.Type == FieldMultiSelect && strings.Contains(v, ";") {
			return Errorf(CodeInvalid, "possibleValues[%d].value: must not contain ';'", i)
		}
		if seen[strings.ToLower(v)] {
			return Errorf(CodeInvalid, "possibleValues[%d].value: duplicate value %q", i, v)
		}
		seen[strings.ToLower(v)] = true
		f.PossibleValues[i].Value = v
	}
	if f.HasChoices() && len(f.PossibleValues) == 0 {
		return Errorf(CodeInvalid, "possibleValues: a %s field needs at least one possible value", f.Type)
	}
	if !f.HasChoices() && len(f.PossibleValues) > 0 {
		return Errorf(CodeInvalid, "possibleValues: a %s field takes no possible values", f.Type)
	}
	if f.DefaultValue != nil && *f.DefaultValue != "" {
		v, err := f.NormalizeValue(*f.DefaultValue)
		if err != nil {
			return Errorf(CodeInvalid, "defaultValue: %s", ErrorMessage(err))
		}
		f.DefaultValue = &v
	}
	return nil
}

// NormalizeValue checks a value against the field's type and possible values
// and returns its canonical form. The error message does not name a field:
// callers prefix it with the request field they read the value from.
func (f *CustomField) NormalizeValue(v string) (string, error) {
	if len(v) > MaxFieldValueLen {
		return "", Errorf(CodeInvalid, "value longer than %d bytes", MaxFieldValueLen)
	}
	if err := CheckText("value", v); err != nil {
		return "", Errorf(CodeInvalid, "value %s", strings.TrimPrefix(ErrorMessage(err), "value: "))
	}
	switch f.Type {
	case FieldText:
		v = strings.TrimSpace(v)
		if strings.ContainsAny(v, "\r\n") {
			return "", Errorf(CodeInvalid, "a text value must be one line")
		}
	case FieldTextarea:
	case FieldNumber:
		v = strings.TrimSpace(v)
		if _, err := strconv.ParseFloat(v, 64); err != nil || strings.ContainsAny(v, "xXpP_") || strings.EqualFold(v, "nan") || strings.Contains(strings.ToLower(v), "inf") {
			return "", Errorf(CodeInvalid, "%q is not a number", v)
		}
	case FieldDate:
		v = strings.TrimSpace(v)
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return "", Errorf(CodeInvalid, "%q is not a date of the form YYYY-MM-DD", v)
		}
	case FieldCheckbox:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return "", Errorf(CodeInvalid, "%q is not true or false", v)
		}
		v = strconv.FormatBool(b)
	case FieldDropdown, FieldRegion:
		c, ok := f.choice(v)
		if !ok {
			return "", Errorf(CodeInvalid, "%q is not one of the possible values of %q", v, f.Name)
		}
		v = c
	case FieldMultiSelect:
		var out []string
		for _, part := range strings.Split(v, ";") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			c, ok := f.choice(part)
			if !ok {
				return "", Errorf(CodeInvalid, "%q is not one of the possible values of %q", strings.TrimSpace(part), f.Name)
			}
			out = append(out, c)
		}
		v = strings.Join(out, ";")
	case FieldEmail:
		v = strings.TrimSpace(v)
		if !ValidEmail(v) {
			return "", Errorf(CodeInvalid, "%q is not an e-mail address", v)
		}
	case FieldPhone:
		v = strings.TrimSpace(v)
		digits := 0
		for _, r := range v {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case strings.ContainsRune("+-() .", r):
			default:
				return "", Errorf(CodeInvalid, "%q is not a phone number", v)
			}
		}
		if digits < 3 || digits > 20 {
			return "", Errorf(CodeInvalid, "%q is not a phone number", v)
		}
	case FieldURL:
		v = strings.TrimSpace(v)
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", Errorf(CodeInvalid, "%q is not an http or https URL", v)
		}
	}
	return v, nil
}

func (f *CustomField) choice(v string) (string, bool) {
	v = strings.TrimSpace(v)
	for _, pv := range f.PossibleValues {
		if strings.EqualFold(pv.Value, v) {
			return pv.Value, true
		}
	}
	return "", false
}

// CustomFieldReader reads a community's custom fields.
type CustomFieldReader interface {
	FindCustomFieldByID(ctx context.Context, communityID, id int64) (*CustomField, error)
	FindCustomFields(ctx context.Context, communityID int64) ([]*CustomField, error)
}

// CustomFieldStore writes custom fields.
type CustomFieldStore interface {
	CustomFieldReader
	CreateCustomField(ctx context.Context, f *CustomField) error
	UpdateCustomField(ctx context.Context, f *CustomField) error
	// DeleteCustomField removes a field and every ticket's value of it.
	DeleteCustomField(ctx context.Context, communityID, id int64) error
}
